"""Public layer namespace: ``from matnn.layers import Dense, Conv2D, ...``."""

from matnn.core.layers import *  # noqa: F403
from matnn.core.layers import __all__  # noqa: F401
