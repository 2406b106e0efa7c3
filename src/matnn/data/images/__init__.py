"""Image data: toy and digit data, IDX and image readers, augmentation.

Submodules are imported on use (``from matnn.data.images.digits import digits_split``) so that importing
this package stays cheap and does not need scikit-image. The glass-box convolution operations and the
lecture's kernels are teaching code: :mod:`matnn.fundamentals.convolution`, :mod:`matnn.fundamentals.kernels`.
"""

__all__ = ["augment", "digits", "idx", "lines", "readers"]
