"""The evaluation figure: inventory, orders and demand of a few SKUs against the forecast band."""

from __future__ import annotations

from typing import Any

import numpy as np

from restock.agents.sb3.evaluation import Trace


def trajectories_figure(trace: Trace, skus: int = 3, path: int = 0, title: str = "") -> Any:
    """A matplotlib figure (Agg canvas, no display needed): one panel per SKU of ``path`` and node.

    Each panel plots, per review period: on-hand at the review, the order placed, the demand that
    followed, and the P10-P90 band (with the P50 line) of the forecast of that demand issued at the review.
    SKUs are the first ``skus`` of the catalog (at most the catalog's size), at every node of a network
    (node-major: the nodes of SKU 0 first; a warehouse's band is the demand of the nodes it feeds, its
    demand line 0).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    k = max(1, min(skus, trace.n_skus))
    b = trace.n_paths * trace.n_skus
    panels = [(m, j) for j in range(k) for m in range(trace.n_nodes)]
    fig = Figure(figsize=(9, 2.4 * len(panels)))
    FigureCanvasAgg(fig)
    reviews = np.arange(trace.orders.shape[0])
    for row, (m, j) in enumerate(panels):
        i = m * b + path * trace.n_skus + j
        ax = fig.add_subplot(len(panels), 1, row + 1)
        band = trace.band[:, i]
        ax.fill_between(reviews, band[:, 0], band[:, 2], step="post", alpha=0.25, label="forecast P10-P90")
        ax.step(reviews, band[:, 1], where="post", lw=1, ls="--", label="forecast P50")
        ax.step(reviews, trace.demand[:, i], where="post", lw=1.2, label="demand")
        ax.step(reviews, trace.on_hand[:, i], where="post", lw=1.2, label="on hand")
        ax.bar(reviews, trace.orders[:, i], width=0.6, alpha=0.5, label="order")
        node = f"{trace.node_names[m]}, " if trace.n_nodes > 1 else ""
        ax.set_ylabel(f"{node}SKU {j} (units)")
        if row == 0:
            ax.legend(loc="upper right", fontsize=7, ncol=5)
            if title:
                ax.set_title(title, fontsize=9)
    fig.axes[-1].set_xlabel("review period")
    fig.tight_layout()
    return fig
