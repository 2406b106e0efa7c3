"""Design: searches over models and settings (hyperparameter search), between workflows and models."""
