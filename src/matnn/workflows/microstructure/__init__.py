"""Microstructure workflows: generation, image → tortuosity, inpainting, image → profile (``matnn microstructure ...``)."""
