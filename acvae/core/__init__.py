"""Plumbing with no machine learning, the lowest layer: the component registry (with the
built-ins), gin config loading and its checks (knobs, bindings), the errors and the command
convention (flags, quiet TensorFlow, one-line errors), plugin files given by path, atomic file
writes, what a command may replace, and the cache folder.

Nothing here imports another acvae package; the layer order is in ``ARCHITECTURE.md`` and
``tests/test_layering.py``.
"""
