"""Design loops: inverse design of materials and devices on top of matnn's models and simulators."""
