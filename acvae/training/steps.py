"""The compiled train and evaluation steps, shared by ``acvae.training.loop`` and the benchmarks.

``Steps.train_steps`` runs several optimizer steps per ``tf.function`` call on batches from an
iterator, replicated by a ``tf.distribute`` strategy, and ``Steps.evaluate`` passes over a
whole dataset without updates. Both return a dict of named sums (nats, summed over images,
steps and replicas): ``"loss"`` (the model's ``objective``), every one of the model's
``term_names`` and ``"count"`` (images); ``means`` turns them into per-image values with the
ELBO. String columns never enter a step (XLA takes numbers only): ``distribute`` maps every
batch through ``batches.numeric`` once, in the input pipeline. A model's ``own_optimizers``
(a part trained on one of its terms by an optimizer of its own, such as FactorVAE's
discriminator) are stepped in the same train step, after the objective's update.
"""

from __future__ import annotations

import tensorflow as tf

from acvae.data import batches


class Steps:
    """The compiled train and evaluation functions of one model, optimizer and strategy.

    Batches may be plain or distributed (``distribute``).
    """

    def __init__(self, model, optimizer, jit_compile: bool, strategy=None, augment=None):
        self.model = model
        self.augment = augment
        self.optimizer = optimizer
        self.strategy = strategy or tf.distribute.get_strategy()
        self.names = ("loss", *model.term_names)
        self._train_step = tf.function(self._train_step_eager, jit_compile=jit_compile)
        self._eval_step = tf.function(self._eval_step_eager, jit_compile=jit_compile)

    def distribute(self, dataset: tf.data.Dataset):
        """``dataset`` without string columns, split across the strategy's replicas."""
        return self.strategy.experimental_distribute_dataset(dataset.map(batches.numeric))

    def zeros(self) -> dict[str, tf.Tensor]:
        """Sums of nothing: a zero for every name and for ``"count"``."""
        return {name: tf.zeros([]) for name in (*self.names, "count")}

    def _train_step_eager(self, batch, beta):
        """One gradient step on this replica's share of a global batch (augmented, if an
        ``augment`` function was given); its sums."""
        if self.augment is not None:
            batch = {**batch, "image": self.augment(batch["image"])}
        own = self.model.own_optimizers
        with tf.GradientTape(persistent=bool(own)) as tape:
            per_image = self._per_image(batch, beta, training=True)
            # the mean over the global batch: every replica divides by the all-reduced count,
            # and the optimizer sums the replicas' gradients (exact for a smaller last batch)
            count = tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.SUM, tf.cast(tf.shape(per_image["loss"])[0], tf.float32))
            loss = tf.reduce_sum(per_image["loss"]) / count
            scaled = self.optimizer.scale_loss(loss)  # loss scaling for mixed_float16
            own_losses = {name: tf.reduce_sum(per_image[name]) / count for name in own}
        variables = self.model.objective_variables
        self.optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        for name, (optimizer, own_variables) in own.items():
            gradients = tape.gradient(own_losses[name], own_variables)
            optimizer.apply_gradients(zip(gradients, own_variables))
        return _sums(per_image)

    def _eval_step_eager(self, batch, beta):
        return _sums(self._per_image(batch, beta, training=False))

    def _per_image(self, batch, beta, training: bool) -> dict[str, tf.Tensor]:
        """The model's per-image terms and loss, float32 [b]; [0]-shaped for a replica's empty
        share of a last batch smaller than the replica count (Keras convolutions fail on
        empty batches)."""
        def terms():
            out = self.model.loss_terms(batch["image"], self.model.condition_of(batch),
                                        training=training)
            out = {name: tf.cast(value, tf.float32) for name, value in out.items()}
            out["loss"] = tf.cast(self.model.objective(out, beta), tf.float32)
            return {name: out[name] for name in self.names}

        if self.strategy.num_replicas_in_sync == 1:
            return terms()
        empty = lambda: {name: tf.zeros([0]) for name in self.names}  # noqa: E731
        return tf.cond(tf.shape(batch["image"])[0] > 0, terms, empty)

    def _add(self, totals, per_replica) -> dict[str, tf.Tensor]:
        reduced = self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
        return {name: totals[name] + reduced[name] for name in totals}

    @tf.function
    def train_steps(self, iterator, n_steps, beta):
        """Runs ``n_steps`` train steps on batches from ``iterator`` in one call; their sums."""
        totals = self.zeros()
        for _ in tf.range(n_steps):
            totals = self._add(totals, self.strategy.run(self._train_step,
                                                         args=(next(iterator), beta)))
        return totals

    @tf.function
    def evaluate(self, dataset, beta):
        """The sums over a whole (batched, ``distribute``d) dataset, without updates.

        The loop runs over an iterator (a ``while`` loop in this function's graph), not over
        the dataset itself: that would become a ``ReduceDataset`` whose body runs inside
        tf.data, at half the speed on a 2-core CPU (161 against 78 ms, best of 12, for the 59
        validation images of 400 synthetic villagers through ``configs/reference.gin``'s net).
        """
        totals = self.zeros()
        for batch in iter(dataset):
            totals = self._add(totals, self.strategy.run(self._eval_step, args=(batch, beta)))
        return totals


def _sums(per_image: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
    sums = {name: tf.reduce_sum(value) for name, value in per_image.items()}
    sums["count"] = tf.cast(tf.shape(per_image["loss"])[0], tf.float32)
    return sums


def means(sums: dict) -> dict[str, float]:
    """Per-image means in nats from named sums, with ``elbo`` = -(reconstruction + kl)."""
    values = {name: float(value) for name, value in sums.items()}
    count = values.pop("count")
    out = {name: value / count for name, value in values.items()}
    out["elbo"] = -(out["reconstruction"] + out["kl"])
    return out
