"""A run: its folder and everything in it, and rebuilding it from what the folder holds.

``run_folder`` is the only writer of ``RUN/`` (names, lock, checkpoints, config, setup,
history, metrics, figures and any other declared file); ``history`` and ``summaries`` are its
CSV and TensorBoard files; ``experiment`` builds a run's data and model from its gin config
(``experiment()``, ``Run``) and loads a saved run (``load_run``).
"""
