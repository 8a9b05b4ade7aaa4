"""Multi-horizon quantile networks: MQ-RNN, MQ-CNN (Wen et al. 2017) and MQTransformer (Eisenach et al. 2020).

Importing this package registers "mqrnn", "mqcnn" and "mqtransformer" with the forecaster registry.
"""

from restock.forecasters.mq.config import MQConfig
from restock.forecasters.mq.forecaster import MQCNN, MQRNN, MQForecaster, MQTransformer, load_checkpoint

__all__ = [
    "MQCNN",
    "MQRNN",
    "MQConfig",
    "MQForecaster",
    "MQTransformer",
    "load_checkpoint",
]
