"""The compiled train and evaluation steps, shared by ``acvae.train`` and the benchmarks.

``Steps.train_steps`` runs several optimizer steps per ``tf.function`` call on batches from an
iterator, replicated by a ``tf.distribute`` strategy, and returns ``[sum rec, sum kl, count]``
(nats, summed over images, steps and replicas); ``Steps.evaluate`` does the same over a whole
dataset without updates. String labels never enter a step (XLA takes numbers only): batches
pass through ``numeric`` and models get label ids.
"""

from __future__ import annotations

import tensorflow as tf


class Steps:
    """The compiled train and evaluation functions of one model, optimizer and strategy.

    ``train_steps`` and ``evaluate`` return ``[sum rec, sum kl, count]`` summed over steps
    and replicas; batches may be plain or distributed (``strategy.experimental_distribute_*``).
    """

    def __init__(self, model, optimizer, jit_compile: bool, strategy=None):
        self.model = model
        self.optimizer = optimizer
        self.strategy = strategy or tf.distribute.get_strategy()
        self._train_step = tf.function(self._train_step_eager, jit_compile=jit_compile)
        self._eval_step = tf.function(self._eval_step_eager, jit_compile=jit_compile)

    def _train_step_eager(self, batch, beta):
        """One gradient step on this replica's share of a global batch (images [b, H, W, C]
        and label ids); returns this replica's [sum rec, sum kl, b]."""
        with tf.GradientTape() as tape:
            terms = self._loss_terms(batch, training=True)
            per_image = tf.cast(terms["reconstruction"] + beta * terms["kl"], tf.float32)
            # the mean over the global batch: every replica divides by the all-reduced count,
            # and the optimizer sums the replicas' gradients (exact for a smaller last batch)
            count = tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.SUM, tf.cast(tf.shape(per_image)[0], tf.float32)
            )
            loss = tf.reduce_sum(per_image) / count
            scaled = self.optimizer.scale_loss(loss)  # loss scaling for mixed_float16
        variables = self.model.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return _sums(terms)

    def _eval_step_eager(self, batch):
        return _sums(self._loss_terms(batch, training=False))

    def _loss_terms(self, batch, training: bool) -> dict[str, tf.Tensor]:
        """The model's per-image terms; [0]-shaped for a replica's empty share of a last
        batch smaller than the replica count (Keras convolutions fail on empty batches)."""
        def terms():
            out = self.model.loss_terms(batch["image"], training=training, labels=label_ids(batch))
            return out["reconstruction"], out["kl"]

        if self.strategy.num_replicas_in_sync == 1:
            reconstruction, kl = terms()
        else:
            empty = lambda: (tf.zeros([0]), tf.zeros([0]))  # noqa: E731
            reconstruction, kl = tf.cond(tf.shape(batch["image"])[0] > 0, terms, empty)
        return {"reconstruction": reconstruction, "kl": kl}

    def _sum(self, per_replica) -> tf.Tensor:
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    @tf.function
    def train_steps(self, iterator, n_steps, beta):
        """Runs ``n_steps`` train steps on batches from ``iterator`` in one call."""
        totals = tf.zeros([3])
        for _ in tf.range(n_steps):
            batch = numeric(next(iterator))
            totals += self._sum(self.strategy.run(self._train_step, args=(batch, beta)))
        return totals

    @tf.function
    def evaluate(self, dataset):
        """[sum rec, sum kl, count] over a whole (batched) dataset, without updates."""
        totals = tf.zeros([3])
        for batch in dataset:
            totals += self._sum(self.strategy.run(self._eval_step, args=(numeric(batch),)))
        return totals


def numeric(batch: dict) -> dict:
    """The batch without its string labels (XLA takes numbers only): image and label ids."""
    return {k: v for k, v in batch.items() if getattr(v, "dtype", None) != tf.string}


def label_ids(batch: dict) -> dict:
    """Label ids [B] by label name ("species", ...), for models that condition on labels."""
    return {key[: -len("_id")]: value for key, value in batch.items() if key.endswith("_id")}


def _sums(terms) -> tf.Tensor:
    reconstruction = tf.cast(terms["reconstruction"], tf.float32)
    kl = tf.cast(terms["kl"], tf.float32)
    count = tf.cast(tf.shape(reconstruction)[0], tf.float32)
    return tf.stack([tf.reduce_sum(reconstruction), tf.reduce_sum(kl), count])
