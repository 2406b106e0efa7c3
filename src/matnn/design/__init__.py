"""Design: searches over settings (hyperparameter search, ``design/tune``) and inverse design of materials and
devices on top of matnn's models and simulators (``design/electrode``). Sits between workflows and models."""
