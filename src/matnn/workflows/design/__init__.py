"""Design workflows (``matnn design ...``)."""
