"""Restock: an inventory-decision lab.

Importing the package is cheap (the ``restock`` command starts from it); ``import restock.envs`` registers
the ``Restock/`` Gymnasium env ids (so does importing any of its modules).
"""
