"""Public namespace: ``matnn.callbacks``."""

from matnn.core.callbacks import *  # noqa: F403
from matnn.core.callbacks import __all__  # noqa: F401
