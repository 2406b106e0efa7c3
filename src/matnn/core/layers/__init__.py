"""Layers in the Keras vocabulary, channels-last, as ``torch.nn.Module``s."""

from matnn.core.layers.activation import Activation, Dropout, Lambda, LeakyReLU
from matnn.core.layers.base import Layer, SymbolicTensor
from matnn.core.layers.convolution import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution2DTranspose,
)
from matnn.core.layers.dense import Dense
from matnn.core.layers.embedding import Embedding
from matnn.core.layers.input_layer import Input, InputLayer
from matnn.core.layers.merging import Add, Average, Concatenate, Multiply, Subtract
from matnn.core.layers.normalization import (
    BatchNormalization,
    LayerNormalization,
    Normalization,
    Rescaling,
)
from matnn.core.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from matnn.core.layers.recurrent import GRU, LSTM
from matnn.core.layers.reshaping import Flatten, Reshape, UpSampling1D, UpSampling2D

__all__ = [
    "Layer",
    "SymbolicTensor",
    "Input",
    "InputLayer",
    "Dense",
    "Activation",
    "Dropout",
    "LeakyReLU",
    "Lambda",
    "BatchNormalization",
    "LayerNormalization",
    "Normalization",
    "Rescaling",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Convolution1D",
    "Convolution2D",
    "Convolution2DTranspose",
    "MaxPooling1D",
    "MaxPooling2D",
    "AveragePooling1D",
    "AveragePooling2D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "MaxPool1D",
    "MaxPool2D",
    "AvgPool1D",
    "AvgPool2D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "Flatten",
    "Reshape",
    "UpSampling1D",
    "UpSampling2D",
    "Embedding",
    "LSTM",
    "GRU",
    "Concatenate",
    "Add",
    "Subtract",
    "Multiply",
    "Average",
]
