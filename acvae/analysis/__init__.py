"""The library halves of evaluate, generate and export: metrics, colour, sampling.

Functions here take numpy arrays and return numbers or arrays; they parse no flags and write
no files, so commands and benchmarks call them with a few lines. ``sample_quality`` scores
generated images against real ones (classifier two-sample tests, precision and recall, KID in
a feature space learned on the dataset itself).
"""
