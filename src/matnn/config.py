"""``matnn.config``: the run settings (threads, denormals, seed, device).

The settings live in :mod:`matnn.core.config`, beside the other ingredients every layer of matnn uses;
this public path is the same module object, so ``matnn.config.set_num_threads`` and
``matnn.core.config.set_num_threads`` are one function with one state.
"""

import sys

from matnn.core import config as _config

sys.modules[__name__] = _config
