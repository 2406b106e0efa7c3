"""Public namespace: ``matnn.optimizers``."""

from matnn.core import schedules  # noqa: E402,F401
from matnn.core.optimizers import *  # noqa: F403
from matnn.core.optimizers import __all__  # noqa: F401
