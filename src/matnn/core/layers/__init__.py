"""Layers in the Keras vocabulary, channels-last, as ``torch.nn.Module``s."""

from matnn.core.layers.activation import Activation, Dropout
from matnn.core.layers.base import Layer, SymbolicTensor
from matnn.core.layers.convolution import Conv1D, Conv2D
from matnn.core.layers.dense import Dense
from matnn.core.layers.embedding import Embedding
from matnn.core.layers.input_layer import Input, InputLayer
from matnn.core.layers.merging import Add, Average, Concatenate, Multiply, Subtract
from matnn.core.layers.normalization import BatchNormalization, LayerNormalization, Normalization, Rescaling
from matnn.core.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
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
    "BatchNormalization",
    "LayerNormalization",
    "Normalization",
    "Rescaling",
    "Conv1D",
    "Conv2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "AveragePooling1D",
    "AveragePooling2D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
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
