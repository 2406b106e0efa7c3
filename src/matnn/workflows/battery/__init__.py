"""Battery cycle-life workflows: features, classical baselines, networks, train/evaluate, demo.

* :mod:`~matnn.workflows.battery.features` — ΔQ(V) features of Severson et al. (2019);
* :mod:`~matnn.workflows.battery.baselines` — ``ClassicalModel`` (variance, discharge, elastic net,
  ridge, PLSR, PCR);
* :mod:`~matnn.workflows.battery.networks` — ``NeuralModel`` (the tutorial CNN, matnn's dqnet);
* :mod:`~matnn.workflows.battery.train` — ``train_and_evaluate`` (``matnn battery train``);
* :mod:`~matnn.workflows.battery.demo` — ``run_demo`` (``matnn battery demo``).
"""
