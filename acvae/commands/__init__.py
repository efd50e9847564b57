"""One thin absl ``main(argv)`` per command: flags in, a library call, files out.

``python -m acvae COMMAND`` (``acvae.__main__``) and the console scripts start them; the
train command is also ``python -m acvae.main`` and the import command ``python -m
acvae.prepare`` (the entry shims at the top of the package).
"""
