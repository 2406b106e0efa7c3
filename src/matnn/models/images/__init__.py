"""Image models: LeNet for digits, the lecture's dropout CNN, the lines toy's dense and convolutional nets.

``registry.IMAGE_MODELS`` names them with their default recipes.
"""
