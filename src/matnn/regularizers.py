"""Public regularizer namespace: ``matnn.regularizers.l2(1e-4)``."""

from matnn.core.regularizers import *  # noqa: F403
from matnn.core.regularizers import __all__  # noqa: F401
