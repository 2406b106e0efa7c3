"""Turn library exceptions into text fit for a one-line error message."""

from __future__ import annotations

__all__ = ["one_line"]


def one_line(exc: BaseException, limit: int = 300) -> str:
    """``Type: message`` of ``exc`` on one line.

    Multi-line library messages (HDF5 prints a whole back trace, some parsers a listing) are reduced to
    their last non-empty line, cut to ``limit`` characters.
    """
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = lines[-1] if lines else ""
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
