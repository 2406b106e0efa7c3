"""Image workflows: the convolution lab and digit classification (``matnn images ...``)."""
