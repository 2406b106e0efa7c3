"""Models: the Model base class (compile/fit/evaluate/predict/save), Sequential and the functional form."""

from matnn.models.functional import Functional
from matnn.models.model import Model
from matnn.models.monte_carlo import predict_monte_carlo
from matnn.models.saving import load_model, load_weights, save_model, save_weights
from matnn.models.sequential import Sequential

__all__ = ["Model", "Sequential", "Functional", "load_model", "save_model", "save_weights", "load_weights", "predict_monte_carlo"]
