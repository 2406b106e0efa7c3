"""Callbacks: hooks into ``fit`` for stopping, checkpointing, resuming, scheduling and logging."""

from matnn.core.callbacks.backup_and_restore import BackupAndRestore
from matnn.core.callbacks.base import Callback, CallbackList, History
from matnn.core.callbacks.early_stopping import EarlyStopping
from matnn.core.callbacks.epoch_timer import EpochTimer
from matnn.core.callbacks.lambda_callback import LambdaCallback
from matnn.core.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from matnn.core.callbacks.loggers import CSVLogger, JSONLogger
from matnn.core.callbacks.model_checkpoint import ModelCheckpoint
from matnn.core.callbacks.progress_bar import ProgressBar
from matnn.core.callbacks.time_limit import TimeLimit, TimeLimitReached
from matnn.core.callbacks.weight_averaging import StochasticWeightAveraging

__all__ = [
    "Callback",
    "CallbackList",
    "History",
    "EarlyStopping",
    "ModelCheckpoint",
    "BackupAndRestore",
    "LearningRateScheduler",
    "ReduceLROnPlateau",
    "CSVLogger",
    "JSONLogger",
    "ProgressBar",
    "LambdaCallback",
    "StochasticWeightAveraging",
    "EpochTimer",
    "TimeLimit",
    "TimeLimitReached",
]
