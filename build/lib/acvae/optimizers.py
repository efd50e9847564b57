"""Keras optimizers registered with gin (``@optimizers.adam()``).

``gin.tf`` would register them, but it needs ``tf.estimator`` and fails to import on
TensorFlow >= 2.16, so the project registers the Keras 3 optimizers itself.
"""

import keras

from acvae import registry

for _name, _cls in (
    ("adam", keras.optimizers.Adam),
    ("adamw", keras.optimizers.AdamW),
    ("sgd", keras.optimizers.SGD),
    ("rmsprop", keras.optimizers.RMSprop),
    ("lion", keras.optimizers.Lion),
):
    registry.register("optimizers", _name)(_cls)
