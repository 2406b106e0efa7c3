"""Public namespace: ``matnn.losses``."""

from matnn.core.losses import *  # noqa: F403
from matnn.core.losses import __all__  # noqa: F401
