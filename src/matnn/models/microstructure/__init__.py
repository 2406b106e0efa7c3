"""Microstructure models: image → tortuosity CNN, inpainting networks, image → profile encoder-decoder.

``registry.MICROSTRUCTURE_MODELS`` names them with their default recipes.
"""
