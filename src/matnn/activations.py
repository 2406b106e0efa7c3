"""Public activation namespace: ``matnn.activations.relu``, ``matnn.activations.get("softmax")``."""

from matnn.core.activations import *  # noqa: F403
from matnn.core.activations import __all__  # noqa: F401
