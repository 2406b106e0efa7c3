"""Helpers that import nothing of matnn: file I/O, plotting, progress bars, label encoding."""

from matnn.utils.categorical import to_categorical

__all__ = ["to_categorical"]
