"""Image data: glass-box convolution operations, lecture kernels, toy and digit data, IDX and image readers.

Submodules are imported on use (``from matnn.data.images.conv_numpy import conv2d``) so that importing
this package stays cheap and does not need scikit-image.
"""

__all__ = ["augment", "conv_numpy", "digits", "idx", "kernels", "lines", "readers"]
