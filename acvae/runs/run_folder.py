"""The run folder: one owner that names, writes, locks and checkpoints everything a run keeps.

Anchors: dopamine's ``Checkpointer`` and Orbax's ``CheckpointManager``, one class that knows
every path. Everything else asks ``RunFolder``; it is the only code that writes into a run,
always atomically (``acvae.core.fileio``). What a run folder holds (``RunFolder.declared``):

| path | written by |
| --- | --- |
| ``operative_config.gin`` | training, after its first steps (``write_config``) |
| ``setup.json`` | training: what the checkpoints need (``write_setup``, ``acvae.training.resume``) |
| ``history.csv`` | training, one row per epoch (``append_history``, ``repair_history``; ``acvae.runs.history``) |
| ``plugins.txt`` | training with ``--plugin`` files (``record_plugins``) |
| ``metrics.json`` | ``acvae.commands.evaluate`` (``write_metrics``) |
| ``run.lock`` | whoever writes: the pid and command of the holder (``open``) |
| ``checkpoints/`` | the latest epochs: model, optimizer, epoch, early stopping's count (``save``) |
| ``checkpoints/best/`` | the epoch with the best validation ELBO: model, epoch (``save_best``) |
| ``sampler/`` | a learned sampler and its resumable fit, while open (``Run.fit_sampler``) |
| ``logs/{train,validation,evaluation}/`` | TensorBoard event files (``tensorboard``) |
| ``figures/...`` | the visualisers' ``declared_outputs``, declared by them (``write_figure``) |

plus the files components declare with ``declare`` (e.g. the projector's files). A second
writer on the same folder is refused with one line naming the holder's pid; the lock of a
killed process is taken over (``fcntl.flock`` locks die with their process). A write that
fails inside it (full disk, read-only) becomes one line naming the file. A damaged or deleted
``history.csv`` is repaired on resume from its readable rows and the TensorBoard events, with
a line saying so; a file of the run that became a folder (or a folder that became a file) is
one line saying what to move.

**Ownership, not patterns.** While a folder is open, acvae's atomic writes inside it keep
their temporary files in its own scratch folder ``.acvae-scratch/`` (``fileio.scratch``), and
opening a folder empties that folder: what a killed writer left. TensorFlow's own leftovers
are removed only in the folders where the run keeps checkpoints (``checkpoints/``,
``checkpoints/best/``, the projector's) and only by TensorFlow's exact names
(``ckpt-<n>_temp/`` folders, ``checkpoint.tmp<32 hex digits>`` files). Nothing else in
the folder is ever matched by name, so files a user keeps in a run survive every command.
Training into a folder that is not a run and holds anything acvae did not make is refused
(``refuse_foreign``) unless ``--overwrite``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import fnmatch
import json
import os
import pathlib
import re
import shutil
import socket
import tempfile

import tensorflow as tf
from google.protobuf import text_format

from acvae.core import fileio, outputs
from acvae.core.errors import ConfigError, UserError, first_line
from acvae.runs import history, summaries

CONFIG_FILE = "operative_config.gin"
SETUP_FILE = "setup.json"
HISTORY_FILE = "history.csv"
PLUGINS_FILE = "plugins.txt"
METRICS_FILE = "metrics.json"
LOCK_FILE = "run.lock"
CHECKPOINT_DIR = "checkpoints"
BEST_DIR = "checkpoints/best"
LOGS_DIR = "logs"
FIGURES_DIR = "figures"
SAMPLER_DIR = "sampler"
SCRATCH_DIR = ".acvae-scratch"
LOG_SPLITS = ("train", "validation", "evaluation")
CHECKPOINTS = ("best", "latest")
METRICS = history.METRICS
HISTORY_FIELDS = history.FIELDS

_DECLARED_BY_COMPONENTS: set[str] = set()
# what a killed TensorFlow save leaves in a checkpoint folder, by TensorFlow's exact names:
# the sharded save's ``<prefix>-<n>_temp/`` folder and the state file's atomic write
_TF_LEFTOVER_FOLDER = r"{prefixes}-\d+_temp"
_TF_LEFTOVER_FILE = re.compile(r"checkpoint\.tmp[0-9a-f]{32}")
# the run's own files and folders, and what helps when one of them is not what it should be
_FILES = {
    CONFIG_FILE: "it is the run's config: put the real file back",
    SETUP_FILE: "training writes it again",
    HISTORY_FILE: "training rebuilds it from the TensorBoard events",
    PLUGINS_FILE: "put the real file back, or train with --plugin again",
    METRICS_FILE: "evaluate writes it again",
    LOCK_FILE: "a new lock is made",
}
_FOLDERS = (CHECKPOINT_DIR, BEST_DIR, LOGS_DIR, *(f"{LOGS_DIR}/{split}" for split in LOG_SPLITS),
            FIGURES_DIR, SAMPLER_DIR, SCRATCH_DIR)


class RunFolderError(UserError, RuntimeError):
    """The run folder cannot be written or read (permissions, full disk, a file in the way)."""


def declare(pattern: str) -> None:
    """Declares a file (a glob relative to the run folder) that a component keeps in every run:
    the visualisers' figures (``acvae.visualise.base.Visualiser``), the projector's files.
    The run folder knows no component itself: what it holds besides its own files is what its
    callers declare."""
    _DECLARED_BY_COMPONENTS.add(pattern)


class RunFolderBusy(UserError):
    """Another process holds the run folder's lock."""


def checkpoint_state(model, optimizer=None, sums=()) -> tf.train.Checkpoint:
    """What a run checkpoints: the model and ``epoch`` (finished epochs), and when training the
    optimizer plus an unfinished epoch's progress: ``step`` (train steps done in epoch
    ``epoch + 1``) and ``partial`` (their running sums by name, ``sums``); both 0 at epoch ends.
    Training also keeps what early stopping counts (``acvae.training.early_stopping``):
    ``stalled`` (validated epochs in a row without improvement) and ``n_epochs`` (the epochs
    asked of the call that saved it).
    """
    objects = {"model": model, "epoch": tf.Variable(0, dtype=tf.int64, trainable=False)}
    if optimizer is not None:
        objects["optimizer"] = optimizer
        objects["step"] = tf.Variable(0, dtype=tf.int64, trainable=False)
        objects["partial"] = {name: tf.Variable(0.0, trainable=False) for name in sums}
        for name in ("stalled", "n_epochs"):
            objects[name] = tf.Variable(0, dtype=tf.int64, trainable=False)
    return tf.train.Checkpoint(**objects)


def checkpoint_paths(directory: str | os.PathLike) -> list[str]:
    """Checkpoint prefixes in ``directory``, newest first (by their number).

    Read from the ``checkpoint`` state file, or from the ``*.index`` files when that file is
    missing or unreadable.
    """
    directory = pathlib.Path(directory)
    try:
        state = tf.train.get_checkpoint_state(str(directory))
        paths = list(state.all_model_checkpoint_paths) if state else []
    except (tf.errors.OpError, ValueError, OSError, text_format.ParseError):
        paths = []
    if not paths:  # both forms already include the directory
        paths = [str(index.with_suffix("")) for index in directory.glob("ckpt-*.index")]
    return sorted(set(paths), key=_checkpoint_number, reverse=True)


def _checkpoint_number(path: str) -> int:
    suffix = pathlib.Path(path).name.rpartition("-")[2]
    return int(suffix) if suffix.isdigit() else -1


def _space_or_permission(error: BaseException) -> str | None:
    """``fileio.write_error``'s reason when ``error`` is a full disk, an exceeded quota or a
    missing permission; None for any other error (those keep their own message)."""
    number = getattr(error, "errno", None)
    known = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
    if number in known or isinstance(error, tf.errors.OpError):
        reason = fileio.write_error(error)
        return reason if reason in ("disk full", "disk quota exceeded", "read-only file system",
                                    "permission denied") else None
    return None


def _in_the_way(error: BaseException) -> str | None:
    """What ``error`` says stands in the way of a write: a folder where a file is written, or
    a file where a folder is needed (naming the path when the error does); else None."""
    number = getattr(error, "errno", None)
    where = getattr(error, "filename2", None) or getattr(error, "filename", None)
    if number == errno.EISDIR:
        return f"{where} is a folder, where a file is written"
    if number in (errno.ENOTDIR, errno.EEXIST):
        return f"a file stands where a folder is needed ({where})"
    text = str(getattr(error, "message", None) or error)
    if isinstance(error, tf.errors.OpError) and ("Not a directory" in text
                                                  or "Is a directory" in text):
        return "a file stands where a folder is needed, or a folder where a file is written"
    return None


class RunFolder:
    """The files and folders of one run, and the only writer into them.

    Args:
      path: the run folder (need not exist yet; ``open`` creates it).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = pathlib.Path(path)
        self._lock_fd: int | None = None
        self._latest: tf.train.CheckpointManager | None = None

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    # ------------------------------------------------------------------ names

    @property
    def figures_dir(self) -> pathlib.Path:
        """``RUN/figures``."""
        return self.path / FIGURES_DIR

    @property
    def checkpoints_dir(self) -> pathlib.Path:
        """``RUN/checkpoints``: the latest epochs."""
        return self.path / CHECKPOINT_DIR

    @property
    def best_dir(self) -> pathlib.Path:
        """``RUN/checkpoints/best``: the best validation epoch."""
        return self.path / BEST_DIR

    @property
    def sampler_dir(self) -> pathlib.Path:
        """``RUN/sampler``: the run's learned sampler, saved and restored by
        ``acvae.models.learned_samplers`` (``sampler_files``)."""
        return self.path / SAMPLER_DIR

    @staticmethod
    def sampler_files() -> tuple[str, ...]:
        """Every file of ``sampler/`` (globs relative to the run folder)."""
        from acvae.models import learned_samplers

        return tuple(f"{SAMPLER_DIR}/{name}" for name in learned_samplers.SAVED_FILES)

    @property
    def locked(self) -> bool:
        """Whether this process holds the folder open (``open``): only then does it write."""
        return self._lock_fd is not None

    @property
    def config_path(self) -> pathlib.Path:
        """``RUN/operative_config.gin``."""
        return self.path / CONFIG_FILE

    def figure(self, name: str) -> pathlib.Path:
        """The path of a declared figure (``name`` relative to ``figures/``, never leaving it)."""
        if ".." in pathlib.PurePath(name).parts or pathlib.PurePath(name).is_absolute():
            raise ValueError(f"figure name {name!r} leaves {self.figures_dir}")
        return self.declared_path(f"{FIGURES_DIR}/{name}")

    def declared_path(self, relative: str) -> pathlib.Path:
        """The path of the declared file ``relative``; a ValueError says how to declare it."""
        if not self.declares(relative):
            raise ValueError(
                f"{relative} is not declared: add it to the visualiser's outputs (acvae."
                "visualise.base.Visualiser.outputs) or declare it with "
                "acvae.runs.run_folder.declare")
        return self.path / relative

    @staticmethod
    def declared() -> tuple[str, ...]:
        """Every file a run folder may hold, as globs relative to it."""
        checkpoints = [f"{folder}/{name}" for folder in (CHECKPOINT_DIR, BEST_DIR)
                       for name in ("checkpoint", "ckpt-*.index", "ckpt-*.data-*")]
        logs = [f"{LOGS_DIR}/{split}/events.out.tfevents.*" for split in LOG_SPLITS]
        fixed = [CONFIG_FILE, SETUP_FILE, HISTORY_FILE, PLUGINS_FILE, METRICS_FILE, LOCK_FILE]
        return tuple(fixed + checkpoints + logs + list(RunFolder.sampler_files())
                     + sorted(_DECLARED_BY_COMPONENTS))

    def declares(self, relative: str | os.PathLike) -> bool:
        """Whether ``relative`` (a path inside the run folder) is a declared file."""
        name = pathlib.PurePath(relative).as_posix()
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.declared())

    @property
    def scratch_dir(self) -> pathlib.Path:
        """``RUN/.acvae-scratch``: the temporary files of atomic writes while the folder is
        open; nothing else is ever there."""
        return self.path / SCRATCH_DIR

    def is_run(self) -> bool:
        """Whether training has written this folder (it holds an operative config).

        Raises:
          RunFolderError: its ``operative_config.gin`` is a folder (``check``).
        """
        self.check([CONFIG_FILE])
        return self.config_path.is_file()

    def check(self, files: list[str] | None = None) -> None:
        """Refuses a run whose own files (``files``; None: every file and folder) are not what
        they should be: a ``history.csv`` or ``run.lock`` that is a folder, a ``checkpoints``
        that is a file.

        Raises:
          RunFolderError: one line naming the entry and what helps.
        """
        for name in _FILES if files is None else files:
            path, helps = self.path / name, _FILES[name]
            if os.path.lexists(path) and not path.is_file():
                kind = "a folder" if path.is_dir() else "not a regular file"
                raise RunFolderError(f"{path} is {kind}, not the run's {name} file; move it out "
                                     f"of {self.path} ({helps}) and run the command again")
        for name in _FOLDERS if files is None else ():
            path = self.path / name
            if os.path.lexists(path) and not path.is_dir():
                raise RunFolderError(f"{path} is a file, not the run's {name} folder; move it "
                                     f"out of {self.path} and run the command again")

    def foreign_entries(self) -> list[str]:
        """What a folder that is not a run holds that acvae did not make (``name/`` for a
        folder): everything, unless it holds acvae's lock (a run stopped before its first
        steps), then the entries no run has."""
        if not self.path.is_dir() or self.is_run():
            return []
        entries = sorted(self.path.iterdir())
        if (self.path / LOCK_FILE).is_file():
            names = {pathlib.PurePath(glob).parts[0] for glob in self.declared()}
            entries = [entry for entry in entries if entry.name not in names | {SCRATCH_DIR}]
        return [entry.name + "/" * entry.is_dir() for entry in entries]

    def refuse_foreign(self, overwrite: bool) -> None:
        """Refuses to start a run in a folder that holds what acvae did not make, unless
        ``overwrite`` (then the run's files are added beside them; nothing is removed).

        Raises:
          OutputRefused: one line naming a few of the entries.
        """
        foreign = self.foreign_entries()
        if foreign and not overwrite:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more"
                                              if len(foreign) > 3 else "")
            raise outputs.refused(
                self.path, f"is not an acvae run and holds {shown}",
                "choose a new or empty --run_dir",
                "train there anyway (nothing in it is removed; a file named like one of a "
                "run's is replaced)")

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def open(self, command: str):
        """Creates the folder if needed, locks it for ``command``, removes what a killed writer
        left (``remove_leftovers``), keeps the temporary files of atomic writes inside it in
        ``scratch_dir``, and unlocks on exit. A write inside that fails for want of space or
        permission becomes a ``RunFolderError`` naming the file.

        Raises:
          RunFolderError: the folder cannot be created or written, or a file of the run is
            not a file (one line).
          RunFolderBusy: another process holds the lock (one line naming its pid).
        """
        training = command == "acvae.main"
        instead = ("choose another --run_dir" if training else
                   "make it writable, or copy the run folder somewhere writable and give that "
                   "as --run_dir")
        with self._writable(instead):
            self.path.mkdir(parents=True, exist_ok=True)
            self.check()
            self._lock(command)
        try:
            with self._writable(instead):
                self.scratch_dir.mkdir(exist_ok=True)
                with tempfile.TemporaryFile(dir=self.scratch_dir) as probe:
                    probe.write(b"acvae")
            self.remove_leftovers()
            with fileio.scratch(self.path, self.scratch_dir):
                yield self
        except (OSError, tf.errors.OpError) as error:
            in_the_way = _in_the_way(error)
            if in_the_way is not None:
                raise RunFolderError(f"{in_the_way} in {self.path} ({command}); move it out of "
                                     f"{self.path} and run the command again") from None
            reason = _space_or_permission(error)
            if reason is None:
                raise
            where = getattr(error, "filename", None) or self.path
            again = ("run the same command again to resume" if training
                     else "run the command again")
            raise RunFolderError(f"{reason} while writing {where} ({command}); free some space "
                                 f"(or make it writable) and {again}") from None
        finally:
            with contextlib.suppress(OSError):
                self.scratch_dir.rmdir()  # only when empty: the folder looks as it did
            self._unlock()

    @contextlib.contextmanager
    def _writable(self, instead: str):
        """Turns an ``OSError`` of the block into "cannot write the run folder" (one line)."""
        try:
            yield
        except OSError as error:
            reason = fileio.write_error(error) or str(error)
            raise RunFolderError(f"cannot write the run folder {self.path} ({reason}); "
                                 f"{instead}") from None

    def _lock(self, command: str) -> None:
        fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        holder = os.read(fd, 4096).decode("utf-8", "replace").strip()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunFolderBusy(
                f"{self.path} is in use by another acvae process ({holder or 'unknown pid'}); "
                "wait for it to finish or choose another --run_dir") from None
        if holder:  # the holder did not unlock: it was killed
            print(f"note: taking over the lock of {self.path} from a process that stopped "
                  f"without releasing it ({holder})", flush=True)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}: {command}\n".encode(), 0)
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.ftruncate(self._lock_fd, 0)
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def checkpoint_folders(self) -> dict[pathlib.Path, re.Pattern]:
        """The folders where the run keeps TensorFlow checkpoints (those it declares a
        ``checkpoint`` state file in: ``checkpoints/``, ``checkpoints/best/``, the projector's),
        each with the pattern of the temporary folders TensorFlow saves its prefixes through."""
        declared = [glob.rpartition("/") for glob in self.declared()]
        folders = {}
        for folder in {folder for folder, _, name in declared if name == "checkpoint"}:
            prefixes = sorted({name.partition("-*")[0] for where, _, name in declared
                               if where == folder and "-*" in name})
            if prefixes:
                alternatives = "|".join(map(re.escape, prefixes))
                folders[self.path / folder] = re.compile(
                    _TF_LEFTOVER_FOLDER.format(prefixes=f"(?:{alternatives})"))
        return folders

    def leftovers(self) -> list[pathlib.Path]:
        """What killed writers left: everything in ``scratch_dir``, and TensorFlow's own
        temporaries in the checkpoint folders and ``sampler/`` (by TensorFlow's exact names
        only)."""
        from acvae.models import learned_samplers

        found = sorted(self.scratch_dir.iterdir()) if self.scratch_dir.is_dir() else []
        weights = self.sampler_dir / learned_samplers.SAVE_TEMPORARY
        if weights.is_dir() and not weights.is_symlink():
            found.append(weights)
        for folder, temporary in self.checkpoint_folders().items():
            entries = sorted(folder.iterdir()) if folder.is_dir() else []
            found += [entry for entry in entries if not entry.is_symlink() and (
                entry.is_dir() and temporary.fullmatch(entry.name)
                or entry.is_file() and _TF_LEFTOVER_FILE.fullmatch(entry.name))]
        return found

    def remove_leftovers(self) -> None:
        """Removes ``leftovers`` (call with the lock held), with a line when there were any."""
        found = self.leftovers()
        for path in found:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        if found:
            print(f"note: removed {len(found)} temporary file(s) or folder(s) an interrupted "
                  f"run left in {self.path}", flush=True)

    def remove_sampler(self) -> None:
        """Removes the saved sampler and its fit (``sampler_files``; nothing else in
        ``sampler/``), so that the next fit starts afresh (``--refit_sampler``)."""
        for pattern in self.sampler_files():
            for path in self.path.glob(pattern):
                path.unlink()

    def write_config(self, text: str) -> None:
        """Writes ``operative_config.gin``: every binding the run actually used."""
        fileio.write_text(self.config_path, text)

    @contextlib.contextmanager
    def _reading(self, name: str):
        """Turns a failure to read the run's file ``name`` (permissions, ...) into one line."""
        try:
            yield self.path / name
        except OSError as error:
            reason = fileio.write_error(error) or str(error)
            raise RunFolderError(f"cannot read {self.path / name} ({reason}); make it readable "
                                 f"or move it out of {self.path} ({_FILES[name]}), and run the "
                                 "command again") from None

    def read_config(self) -> str | None:
        """The operative config's text, or None before the first steps."""
        if not self.is_run():
            return None
        with self._reading(CONFIG_FILE) as path:
            return path.read_text(encoding="utf-8")

    def recorded_plugins(self) -> list[pathlib.Path]:
        """The plugin files listed in ``plugins.txt`` (none when it does not exist)."""
        self.check([PLUGINS_FILE])
        with self._reading(PLUGINS_FILE) as record:
            if not record.exists():
                return []
            lines = record.read_text(encoding="utf-8").splitlines()
        return [pathlib.Path(line.strip()) for line in lines
                if line.strip() and not line.lstrip().startswith("#")]

    def record_plugins(self, paths) -> None:
        """Adds plugin files to ``plugins.txt``; those recorded earlier stay listed, so resuming
        keeps them. Nothing is written when there are none."""
        paths = list(dict.fromkeys([*self.recorded_plugins(), *map(pathlib.Path, paths)]))
        if paths:
            header = "# plugin files this run needs; the post-hoc tools import them again\n"
            fileio.write_text(self.path / PLUGINS_FILE,
                              header + "".join(f"{path}\n" for path in paths))

    def write_setup(self, setup: dict) -> None:
        """Writes ``setup.json``: what the checkpoints were trained with (``acvae.training.resume``)."""
        fileio.write_text(self.path / SETUP_FILE, json.dumps(setup, indent=2) + "\n")

    def read_setup(self) -> dict | None:
        """``setup.json`` as a dict; None when absent or unreadable (a run made before it
        existed, or a damaged file: the next training writes it again)."""
        try:
            setup = json.loads((self.path / SETUP_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return setup if isinstance(setup, dict) else None

    def read_history(self) -> list[dict[str, float]]:
        """Rows of ``history.csv`` as dicts of floats (``epoch`` as int), in epoch order; []
        if absent. Unreadable lines are left out (``repair_history`` mends the file)."""
        self.check([HISTORY_FILE])
        with self._reading(HISTORY_FILE) as path:
            return history.parse(path)[0]

    def repair_history(self, epochs: int) -> list[dict[str, float]]:
        """The history of epochs ``1..epochs`` (those the checkpoint holds), mended if needed.

        Rows that are unreadable or missing (a damaged or deleted ``history.csv``) are rebuilt
        from the TensorBoard event files in ``logs/`` (their ``seconds`` unknown: nan); the
        file is rewritten and one line says what was repaired, and which epochs, if any, could
        not be recovered. Training calls it before resuming.
        """
        self.check([HISTORY_FILE])
        with self._reading(HISTORY_FILE) as path:
            rows, bad = history.parse(path)
        kept = {row["epoch"]: row for row in rows if row["epoch"] <= epochs}
        missing = [epoch for epoch in range(1, epochs + 1) if epoch not in kept]
        if not missing and not bad:
            return [kept[epoch] for epoch in sorted(kept)]
        rebuilt = {epoch: row for epoch, row in history.from_events(self.path / LOGS_DIR).items()
                   if epoch in missing}
        kept.update(rebuilt)
        lost = [epoch for epoch in missing if epoch not in rebuilt]
        rows = [kept[epoch] for epoch in sorted(kept)]
        what = ("was missing" if not (self.path / HISTORY_FILE).exists()
                else f"had {bad} unreadable line(s)" if bad
                else f"lacked epoch(s) {history.ranges(missing)}")
        history.write(self.path / HISTORY_FILE, rows)
        print(f"note: {self.path / HISTORY_FILE} {what}; repaired it: {len(rows) - len(rebuilt)} "
              f"readable row(s) kept, {len(rebuilt)} rebuilt from the TensorBoard events in "
              f"{self.path / LOGS_DIR}"
              + (f"; epoch(s) {history.ranges(lost)} could not be recovered" if lost else ""),
              flush=True)
        return rows

    def append_history(self, row: dict[str, float]) -> list[dict[str, float]]:
        """Adds ``row`` after the rows of earlier epochs (dropping any of its epoch or later,
        left by a killed run) and rewrites ``history.csv`` atomically; returns every row.

        Columns: ``HISTORY_FIELDS``, then a model's extra loss terms (``train_tc``, ...).
        """
        rows = [r for r in self.read_history() if r["epoch"] < row["epoch"]] + [row]
        history.write(self.path / HISTORY_FILE, rows)
        return rows

    def write_metrics(self, result: dict) -> pathlib.Path:
        """Writes ``metrics.json`` (``acvae.commands.evaluate``'s result)."""
        path = self.path / METRICS_FILE
        fileio.write_text(path, json.dumps(result, indent=2) + "\n")
        return path

    def read_metrics(self) -> dict | None:
        """``metrics.json`` as a dict, or None before the run is evaluated."""
        self.check([METRICS_FILE])
        with self._reading(METRICS_FILE) as path:
            return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def write_figure(self, name: str, write) -> pathlib.Path:
        """Calls ``write(tmp)`` for the declared figure ``name`` and renames it into place."""
        return fileio.write_with(self.figure(name), write)

    def write_declared(self, relative: str, write) -> pathlib.Path:
        """Calls ``write(tmp)`` for the declared file ``relative`` and renames it into place."""
        return fileio.write_with(self.declared_path(relative), write)

    def tensorboard(self, splits=("train", "validation"), resume_after: int | None = None):
        """A ``summaries.TensorBoard`` writing ``logs/<split>`` (see its ``resume_after``)."""
        unknown = set(splits) - set(LOG_SPLITS)
        if unknown:
            raise ValueError(f"unknown log split(s) {sorted(unknown)}; valid: {LOG_SPLITS}")
        return summaries.TensorBoard(self.path / LOGS_DIR, splits, resume_after)

    # ------------------------------------------------------------------ checkpoints

    def track(self, state: tf.train.Checkpoint, keep: int, directory=None) -> None:
        """Saves of ``state`` go to ``checkpoints/`` (or ``directory``), keeping ``keep``."""
        self._latest = tf.train.CheckpointManager(state, str(directory or self.checkpoints_dir),
                                                  max_to_keep=keep)

    def save(self, number: int) -> str:
        """Saves the tracked state as checkpoint ``ckpt-<number>``."""
        return self._latest.save(checkpoint_number=number)

    def save_best(self, model, epoch: int) -> str:
        """Saves ``model`` as the best checkpoint (``checkpoints/best``), replacing the last."""
        best = tf.train.Checkpoint(model=model,
                                   epoch=tf.Variable(epoch, dtype=tf.int64, trainable=False))
        manager = tf.train.CheckpointManager(best, str(self.best_dir), max_to_keep=1)
        return manager.save(checkpoint_number=epoch)

    def best_epoch(self) -> int | None:
        """The epoch the best checkpoint holds, or None without one."""
        return self.saved_epoch("best")

    def saved_epoch(self, which: str = "latest") -> int | None:
        """The finished epochs the newest readable checkpoint of ``which`` holds (what a
        restore would resume after), or None without one."""
        for path in checkpoint_paths(self.best_dir if which == "best" else self.checkpoints_dir):
            try:
                reader = tf.train.load_checkpoint(path)
                return int(reader.get_tensor("epoch/.ATTRIBUTES/VARIABLE_VALUE"))
            except (tf.errors.OpError, ValueError):
                continue
        return None

    def has_checkpoint(self) -> bool:
        """Whether training saved at least one checkpoint."""
        return bool(checkpoint_paths(self.checkpoints_dir))

    def restore(self, state: tf.train.Checkpoint, which: str = "latest",
                strict: bool = True) -> str | None:
        """Restores the newest readable checkpoint of ``which`` into ``state``.

        A damaged checkpoint (truncated or garbled files) is skipped with a printed warning
        and the previous one is used. Values a tool does not need (the optimizer, for one
        that restores the model only) are skipped without TensorFlow's warnings.

        Args:
          state: a ``checkpoint_state(...)`` to restore into.
          which: ``"latest"`` (``checkpoints/``) or ``"best"`` (``checkpoints/best``).
          strict: require the model, optimizer and epoch to match those saved (training).

        Returns:
          The restored prefix, or None when there is no such checkpoint.

        Raises:
          ConfigError: one line, when a checkpoint does not fit ``state`` (another model) or
            none is readable.
        """
        if which not in CHECKPOINTS:
            raise ConfigError(f"unknown checkpoint {which!r}; valid: {', '.join(CHECKPOINTS)}")
        directory = self.best_dir if which == "best" else self.checkpoints_dir
        paths = checkpoint_paths(directory)
        for i, path in enumerate(paths):
            try:
                if strict:  # model, optimizer and epoch must match those saved
                    core = {key: getattr(state, key) for key in ("model", "optimizer", "epoch")
                            if hasattr(state, key)}
                    status = tf.train.Checkpoint(**core).restore(path)
                    status.expect_partial().assert_existing_objects_matched()
                state.restore(path).expect_partial()
            except (AssertionError, ValueError) as error:
                raise ConfigError(
                    f"the checkpoint in {directory} does not fit this model "
                    f"({first_line(error)}); use another --run_dir or the config that made it"
                ) from None
            except Exception as error:  # noqa: BLE001  (a damaged file fails in many ways)
                fallback = (f"falling back to {pathlib.Path(paths[i + 1]).name}"
                            if i + 1 < len(paths) else "")
                print(f"warning: checkpoint {path} is unreadable ({first_line(error)}); "
                      f"{fallback}", flush=True)
                continue
            return path
        if paths:
            raise ConfigError(f"no readable checkpoint in {directory}; move the run folder "
                              "away to start afresh")
        return None
