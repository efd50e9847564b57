"""Early stopping: training ends once validation has stopped improving.

``train.early_stopping_patience = N`` stops training after N validated epochs in a row (see
``train.validate_every``) whose validation ELBO did not improve on the best one by more than
``train.early_stopping_min_delta`` nats per image. "The best" is the loop's best validation
ELBO, the one the best checkpoint (``checkpoints/best/``) holds: with ``min_delta`` 0 the run
stops ``patience`` validated epochs after its best checkpoint; a smaller improvement than
``min_delta`` still makes a new best checkpoint but does not restart the count.
``EarlyStopping`` is the rule (immutable); what it counts lives in the training checkpoint
(``acvae.runs.run_folder.checkpoint_state``), saved with every epoch:

- ``stalled``: the validated epochs in a row without such an improvement;
- ``n_epochs``: the epochs asked of the ``train`` call that saved the checkpoint.

A run has stopped early when ``stalled`` has reached the patience. Running the same command
again therefore trains no further (the final figures are drawn again, as for any finished
run), while what asks for more does train: a higher patience (the count goes on from where it
stopped), ``patience = None``, or more epochs than the call that saved the checkpoint asked
for, which grants a fresh patience (``start``). A kill between two checkpoints changes
nothing: the count is restored with the epoch it belongs to.
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class EarlyStopping:
    """When to stop training: after ``patience`` validated epochs without improvement.

    Attributes:
      patience: validated epochs in a row without improvement before stopping; None: never.
      min_delta: nats per image by which a validation ELBO must exceed the best to count as
        an improvement (it becomes the best, for the best checkpoint, whenever it exceeds it).
    """

    patience: int | None = None
    min_delta: float = 0.0

    def start(self, state: tf.train.Checkpoint, n_epochs: int) -> None:
        """Prepares ``state`` (restored, or new) for a ``train`` call asking for ``n_epochs``.

        A run that had used up its patience under a call asking for fewer epochs gets a fresh
        one: its count restarts. ``n_epochs`` is recorded, to be saved with the next
        checkpoint.
        """
        if self.exhausted(state) and n_epochs > int(state.n_epochs.numpy()):
            state.stalled.assign(0)
        state.n_epochs.assign(n_epochs)

    def observe(self, state: tf.train.Checkpoint, improvement: float) -> None:
        """Counts a validated epoch whose validation ELBO exceeds the best before it by
        ``improvement`` nats per image (infinite for the first; negative when worse)."""
        state.stalled.assign(0 if improvement > self.min_delta else state.stalled + 1)

    def exhausted(self, state: tf.train.Checkpoint) -> bool:
        """Whether training must stop: the patience is used up."""
        return self.patience is not None and int(state.stalled.numpy()) >= self.patience

    def explain(self, state: tf.train.Checkpoint, epoch: int, n_epochs: int,
                best: dict[str, float] | None) -> str:
        """The line saying that training stopped after ``epoch`` of ``n_epochs``, with the
        best epoch's history row (``best``; None when the run has no best checkpoint)."""
        stalled = int(state.stalled.numpy())
        by = f" by more than {self.min_delta:g} nats" if self.min_delta else ""
        where = (f"; the best is epoch {int(best['epoch'])} (val loss {best['val_loss']:.1f}, "
                 f"ELBO {best['val_elbo']:.1f})" if best else "")
        return (f"early stop after epoch {epoch} of {n_epochs}: {stalled} validated "
                f"epoch{'s' * (stalled != 1)} in a row without improving the best validation "
                f"ELBO{by} (train.early_stopping_patience = {self.patience}){where}; to train "
                f"further, raise N_EPOCHS above {n_epochs} or the patience, or set it to None")
