"""The objects of a run: ``experiment`` builds data and model, ``load_run`` reloads them post hoc.

``experiment`` is the one configurable that turns bindings into data and a model, used by
``acvae.training.loop.train`` and by ``load_run``, which rebuilds them from a run's
``operative_config.gin`` (and its recorded plugins) and restores a checkpoint: the best
validation epoch by default, or the latest. ``Run`` is what visualisers, evaluation and the
other tools receive: the run folder (``acvae.runs.run_folder.RunFolder``) with its live or reloaded
objects. ``Run.fit_sampler`` gives the model's sampler its fit for the current weights: a
learned sampler is restored from ``RUN/sampler`` when it was saved for them, else fitted
(and saved there only by a command that holds the folder open).
"""

from __future__ import annotations

import dataclasses
import os
import pathlib

import gin
import numpy as np
import tensorflow as tf

from acvae.core import config, plugin_files
from acvae.core.errors import ConfigError, UserError, first_line
from acvae.data import content
from acvae.models import VAE, build_vae, learned_samplers, samplers
from acvae.runs import run_folder


@gin.configurable(module="acvae")
def experiment(dataset=gin.REQUIRED, model=build_vae, sampler=None):
    """Builds the data and the model of a run.

    Args:
      dataset: the input data (``acvae.data.InputData``), normally a registered dataset called
        by gin (``experiment.dataset = @datasets.synthetic()``).
      model: a factory ``(image_shape, n_channels, schema) -> VAE``, by default ``build_vae``
        (whose ``model`` binding selects a variant such as ``@models.conditional_vae``).
      sampler: where generated images come from once trained, a registered sampler
        (``@samplers.gaussian_mixture()``, fitted to the training posteriors by
        ``Run.fit_sampler``); None: the model's prior.

    Returns:
      ``(data, vae)``, the model sized for the data's image shape, channels and labels.
    """
    vae = model(image_shape=dataset.image_shape, n_channels=dataset.n_channels,
                schema=dataset.schema)
    if sampler is not None:
        vae.sampler = sampler
    return dataset, vae


def build() -> tuple:
    """``experiment()``, with config mistakes found while building reported as one line.

    The data layer reports its input mistakes (a missing TFRecord, ``n_channels = 2``, an empty
    split) as ``UserError``s; gin's call-time config mistakes (``config.call_error``) become a
    ``ConfigError``. Anything else keeps its traceback.
    """
    with config.calls():
        return experiment()


@dataclasses.dataclass
class Run:
    """A run folder with its live (training) or reloaded (post hoc) objects.

    Attributes:
      run_dir: the folder; ``folder`` is its ``RunFolder`` (names, writes, checkpoints; by
        default a new one; training passes the one it holds open).
      model: the VAE.
      data: the ``InputData``.
      history: the ``history.csv`` rows of the run (of every epoch trained so far).
      epoch: the epoch the model's weights are from (the best one's, post hoc by default).
      posteriors: the training posterior means and log-variances [N, L] of these weights,
        once computed (``training_posteriors``); the model's sampler was fitted to them.
      derived: other results of these weights, computed once for every figure
        (``per_weights``).
    """

    run_dir: pathlib.Path
    model: VAE
    data: object
    history: list[dict[str, float]]
    epoch: int
    posteriors: tuple[np.ndarray, np.ndarray] | None = dataclasses.field(default=None,
                                                                        repr=False)
    derived: dict = dataclasses.field(default_factory=dict, repr=False)
    folder: run_folder.RunFolder | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self):
        self.run_dir = pathlib.Path(self.run_dir)
        if self.folder is None:
            self.folder = run_folder.RunFolder(self.run_dir)

    def weights_changed(self, epoch: int) -> None:
        """The model now holds ``epoch``'s weights: forgets the codes of the old ones."""
        self.epoch, self.posteriors = epoch, None
        self.derived.clear()

    def per_weights(self, key: str, compute):
        """``compute()`` of the current weights, computed once under ``key`` (forgotten when
        the weights change)."""
        if key not in self.derived:
            self.derived[key] = compute()
        return self.derived[key]

    def training_posteriors(self) -> tuple[np.ndarray, np.ndarray]:
        """The training posterior means and log-variances [N, L] of the current weights
        (computed once)."""
        if self.posteriors is None:
            self.posteriors = samplers.training_posteriors(self.model, self.data)
        return self.posteriors

    def training_codes(self) -> np.ndarray:
        """The training posterior means [N, L] of the current weights (computed once)."""
        return self.training_posteriors()[0]

    def fit_sampler(self, refit: bool = False, stop=None) -> None:
        """Fits the model's sampler to the training posteriors of the current weights.

        - the prior: nothing to fit (nor the posteriors);
        - a sampler that fits in seconds (the Gaussian mixture): fitted afresh each time;
        - a learned sampler (``learned_samplers.LearnedSampler``): restored from
          ``RUN/sampler`` when the fit saved there is of these codes and settings
          (``restore_if_fitted``), unless ``refit``; else fitted (``fit``). While this process
          holds the run folder open (training, ``evaluate``, ``visualise``) the fit is
          checkpointed in ``sampler/``, resumed from there and saved there; the commands that
          only read a run (``generate``, ``export``) never write it and fit in memory.

        With fewer than ``samplers.MIN_FIT_ITEMS`` training items there is nothing to fit: the
        model samples its prior instead, and one line says so.

        Args:
          refit: fit afresh although ``sampler/`` holds a fit of these codes (replacing it
            while the folder is open).
          stop: called between the steps of a learned sampler's fit; raising
            ``KeyboardInterrupt`` there stops it (``faults.StopSignals.stop_if_received``).

        Raises:
          learned_samplers.FitInterrupted: a signal stopped a learned sampler's fit (its
            progress saved in ``sampler/`` while the folder is open).
        """
        sampler = self.model.sampler
        if sampler is self.model.prior:
            return
        posteriors = self.training_posteriors()
        if len(posteriors[0]) < samplers.MIN_FIT_ITEMS:
            name = getattr(sampler, "name", type(sampler).__name__)
            print(f"note: {len(posteriors[0])} training item(s) are too few to fit the {name} "
                  "sampler (it needs at least "
                  f"{samplers.MIN_FIT_ITEMS}); generated images come from the prior", flush=True)
            self.model.sampler = self.model.prior
            return
        if not isinstance(sampler, learned_samplers.LearnedSampler):
            sampler.fit(self.model, *posteriors)
            return
        if not refit and self._restored(sampler):
            return
        if not self.folder.locked:
            self.fit(sampler, note=f"{self.folder.sampler_dir} holds no fit of it to these "
                                   f"weights' codes (python -m acvae evaluate "
                                   f"--run_dir={self.run_dir} saves one there)")
            return
        if refit:
            self.folder.remove_sampler()
        self.fit(sampler, self.folder.sampler_dir, stop)

    def _restored(self, sampler: learned_samplers.LearnedSampler) -> bool:
        """Whether ``sampler`` was restored from ``sampler/`` (``restore_if_fitted``); a saved
        fit that cannot be read is refitted, with a line saying so."""
        try:
            return sampler.restore_if_fitted(self.folder.sampler_dir, *self.training_posteriors())
        except (OSError, ValueError, KeyError, AssertionError, tf.errors.OpError) as error:
            print(f"note: the {sampler.name} sampler saved in {self.folder.sampler_dir} cannot "
                  f"be read ({first_line(error)}); fitting it again", flush=True)
            return False

    def fit(self, sampler, directory: pathlib.Path | None = None, stop=None, note: str = ""):
        """Fits any registered sampler to the training posteriors of the current weights and
        returns it. A learned sampler's fit takes minutes: one line first says which, on how
        many codes, its ``budget`` and where it goes (``directory``: checkpointed, resumed
        and saved there; None: in memory), then ``note``."""
        posteriors = self.training_posteriors()
        if not isinstance(sampler, learned_samplers.LearnedSampler):
            return sampler.fit(self.model, *posteriors)
        where = (f"checkpointed in {directory}, so that a stopped fit resumes" if directory
                 else "in memory")
        print(f"fitting the {sampler.name} sampler to {len(posteriors[0])} training codes "
              f"({sampler.budget}; {where})" + (f": {note}" if note else ""), flush=True)
        return sampler.fit(self.model, *posteriors, directory=directory, stop=stop)

    @property
    def figures_dir(self) -> pathlib.Path:
        """``RUN/figures``."""
        return self.folder.figures_dir


def check_data(folder: run_folder.RunFolder, data, allow_change: bool = False) -> None:
    """Compares the dataset a tool reads with the one ``setup.json`` says the run was trained
    on (``acvae.data.content``; the split sizes and fingerprint for runs that predate it).

    Raises:
      UserError: the data changed and not ``allow_change`` (one line saying what changed);
        with ``allow_change`` one line says so and the tool goes on.
    """
    setup = folder.read_setup() or {}
    if isinstance(setup.get("data"), dict) and data.content:
        changed = content.changes(setup["data"], data.content)
    elif "dataset" in setup and setup["dataset"] != data.description:
        changed = [f"{setup['dataset']} then, {data.description} now"]
    else:
        return
    if not changed:
        return
    what = (f"the dataset changed since {folder.path} was trained ({'; '.join(changed)}; "
            f"{run_folder.SETUP_FILE} records what it held)")
    flag = f"--{content.ALLOW_DATA_CHANGE_FLAG[0]}"
    if not allow_change:
        raise UserError(f"{what}: restore the data it was trained on, or pass {flag} to use "
                        "this data anyway")
    print(f"note: {what}; going on with this data ({flag})", flush=True)


def load_run(run_dir: str | os.PathLike, checkpoint: str = "best",
             trust_plugins: bool = False, allow_data_change: bool = False,
             fit_sampler: bool = True) -> Run:
    """Rebuilds a run's data and model from its operative config and restores a checkpoint.

    Args:
      run_dir: a folder written by ``acvae.main``.
      checkpoint: ``"best"`` (the best validation epoch; the latest for runs that have no
        best checkpoint) or ``"latest"``.
      trust_plugins: import every plugin file the run lists, not only those this user chose
        (``acvae.core.plugin_files.load_recorded``; the commands' ``--trust_plugins``).
      allow_data_change: go on when the dataset changed since the run was trained
        (``check_data``; the commands' ``--allow_data_change``).
      fit_sampler: give the model's sampler its fit (``Run.fit_sampler``: restored from
        ``sampler/``, or fitted in memory); False leaves it to the caller, e.g. a command
        that opens the folder first, so that a fit is saved.

    Raises:
      UserError: ``run_dir`` is not a run folder, has no checkpoint, needs plugin files
        that are gone or not trusted, or its dataset changed (one line).
    """
    folder = run_folder.RunFolder(run_dir)
    if checkpoint not in run_folder.CHECKPOINTS:
        raise ConfigError(f"--checkpoint must be one of {', '.join(run_folder.CHECKPOINTS)}, "
                          f"got {checkpoint!r}")
    if not folder.path.is_dir():
        raise UserError(f"no run folder {run_dir}")
    if not folder.is_run():
        raise UserError(f"{run_dir} is not a run folder (no {run_folder.CONFIG_FILE})")
    if not folder.has_checkpoint():
        raise UserError(f"{run_dir} has no checkpoint yet; train it with acvae.main first")
    recorded = folder.recorded_plugins()
    missing = [str(path) for path in recorded if not path.is_file()]
    if missing:
        raise UserError(f"{run_dir} needs plugin file(s) that no longer exist: "
                        f"{', '.join(missing)} (listed in "
                        f"{folder.path / run_folder.PLUGINS_FILE})")
    try:
        plugin_files.load_recorded(recorded, folder.path / run_folder.PLUGINS_FILE, trust_plugins)
    except ImportError as error:
        raise UserError(first_line(error)) from error
    with gin.unlock_config():
        config.parse(lambda: gin.parse_config_file(str(folder.config_path)))
    data, model = build()
    check_data(folder, data, allow_data_change)
    state = run_folder.checkpoint_state(model)
    which = checkpoint if checkpoint == "latest" or folder.best_epoch() is not None else "latest"
    folder.restore(state, which, strict=False)
    run = Run(run_dir=folder.path, model=model, data=data, history=folder.read_history(),
              epoch=int(state.epoch.numpy()))
    if fit_sampler:
        run.fit_sampler()
    return run
