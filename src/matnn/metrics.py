"""Public namespace: ``matnn.metrics``."""

from matnn.core.metrics import *  # noqa: F403
from matnn.core.metrics import __all__  # noqa: F401
