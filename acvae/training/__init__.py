"""Training: the loop (``loop.train``, the gin root ``train``), its compiled steps, precision,
progress, distribution strategies, optimizers and schedules, augmentation, resuming under a
changed config, and what happens when things go wrong (``faults``).
"""
