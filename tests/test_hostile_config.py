"""Hostile config mistakes, flags and signals (issue 27): each is one line and the right exit code.

Every listed case has a test, and every class one case not listed: a misspelt macro (in a
``--gin_param`` and in a gin file), a parameter a configurable does not take (of a Keras
optimizer, and of a likelihood, both taking ``**kwargs``), a value out of range or of the wrong
type (any numeric knob, macros included), absl's flag errors and ``--help`` in several commands,
Ctrl-C while any command starts, Ctrl-C or SIGTERM during the final figures, TensorFlow's
warnings after a resume refused, the epoch a full disk says to resume after, and a plugin that
is not a Python file.
"""

import errno
import json
import os
import re
import signal
import subprocess
import sys
import sysconfig
import time

import gin
import pytest
import tensorflow as tf

from acvae.core import config, plugin_files
from acvae.core.errors import ConfigError
from acvae.runs import experiment, run_folder
from acvae.training import faults
from acvae.training.loop import train
from tests.conftest import REPO, without_tf_log

DRIVER = """
import json, sys
import gin
from absl import flags
from acvae.commands import train as train_command
from acvae.core import cli
for argv in json.loads(sys.argv[1]):
    gin.clear_config(clear_constants=True)
    flags.FLAGS.unparse_flags()
    try:
        cli.run(train_command.main, ["acvae.main", *argv])
    except SystemExit as stop:
        print(f"exit {stop.code}", file=sys.stderr, flush=True)
"""

LATENT1D = ["--gin_file=configs/latent1d.gin", "--gin_file=configs/test.gin",
            "--gin_param=train.visualisers = []"]
MACROS = "BATCH_SIZE, EPOCH_STEP, IMAGE_SHAPE, LATENT_DIM, N_CHANNELS, N_EPOCHS, TFRECORD"
ADAM = ("learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, clipnorm, clipvalue, "
        "global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor, "
        "gradient_accumulation_steps, name")


def _lines(stderr: str) -> list[str]:
    return [line for line in without_tf_log(stderr).splitlines() if line.strip()]


def _config_cases(gin_file, tfrecord):
    """(extra argv, the one error line expected) for every config mistake."""
    data = f"--gin_param=TFRECORD = '{tfrecord}'"
    return [
        # case 6 and a misspelt macro in a gin file
        ([data, "--gin_param=LATENTDIM=2"],
         "error: the macro LATENTDIM (--gin_param LATENTDIM=2) is used nowhere in the config; "
         f"did you mean LATENT_DIM? macros in use: {MACROS}"),
        ([data, f"--gin_file={gin_file}"],
         f"error: the macro N_EPOCH ({gin_file}, line 1) is used nowhere in the config; did you "
         f"mean N_EPOCHS? macros in use: {MACROS}"),
        # case 11 and unknown parameters of two other configurables taking **kwargs
        ([data, "--gin_param=optimizers.adam.learnin_rate=0.1"],
         "error: optimizers.adam has no parameter learnin_rate (--gin_param "
         "optimizers.adam.learnin_rate=0.1); did you mean learning_rate? valid parameters: "
         f"{ADAM}"),
        ([data, "--gin_param=optimizers.adam.learning_rate='fast'"],
         "error: optimizers.adam.learning_rate must be a number > 0, got 'fast' (a string: "
         "write the number without quotes)"),
        ([data, "--gin_param=likelihoods.bernoulli.alpha_weightin = 0.5"],
         "error: likelihoods.bernoulli has no parameter alpha_weightin (--gin_param "
         "likelihoods.bernoulli.alpha_weightin=0.5); did you mean alpha_weighting? valid "
         "parameters: n_channels, alpha_weighting, activity_regularizer, trainable, dtype, "
         "autocast, name"),
        ([data, "--gin_param=train.optimizer = @optimizers.sgd()",
          "--gin_param=optimizers.sgd.momentun = 0.9"],
         "error: optimizers.sgd has no parameter momentun (--gin_param "
         "optimizers.sgd.momentun=0.9); did you mean momentum or ema_momentum? valid "
         "parameters: learning_rate, momentum, nesterov, weight_decay, clipnorm, clipvalue, "
         "global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor, "
         "gradient_accumulation_steps, name"),
        # cases 12 and 22 and other knobs out of range or of the wrong type, macros included
        ([data, "--gin_param=train.kl_warmup_epochs=-5"],
         "error: train.kl_warmup_epochs must be an integer >= 0, got -5"),
        ([data, "--gin_param=train.beta=-1"], "error: train.beta must be a number >= 0, got -1"),
        ([data, "--gin_param=optimizers.adam.learning_rate=-1"],
         "error: optimizers.adam.learning_rate must be a number > 0, got -1"),
        ([data, "--gin_param=BATCH_SIZE = 0"],
         "error: input_pipeline.batch_size (BATCH_SIZE) must be an integer >= 1, got 0"),
        ([data, "--gin_param=samplers.gaussian_mixture.n_components = -3"],
         "error: samplers.gaussian_mixture.n_components must be an integer >= 1, got -3"),
        ([data, "--gin_param=optimizers.adam.beta_1 = 1.5"],
         "error: optimizers.adam.beta_1 must be a number in [0, 1), got 1.5"),
        ([data, "--gin_param=train.seed = 'zero'"],
         "error: train.seed must be an integer >= 0, got 'zero' (a string: write the number "
         "without quotes)"),
    ]


def test_config_mistakes_are_one_line_naming_the_nearest_names_and_leave_no_run_folder(
    tmp_path, villagers_tfrecord
):
    gin_file = tmp_path / "mine.gin"
    gin_file.write_text("N_EPOCH = 3\n")
    table = _config_cases(gin_file, villagers_tfrecord)
    runs = tmp_path / "runs"
    argvs = [[*LATENT1D, *argv, f"--run_dir={runs / f'run{i}'}"]
             for i, (argv, _) in enumerate(table)]
    result = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(argvs)], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert _lines(result.stderr) == [line for _, message in table
                                     for line in (message, "exit 1")]
    assert not runs.exists()  # checked before a run folder is made


@pytest.mark.parametrize("arguments", [{"beta": -1}, {"kl_warmup_epochs": -5}])
def test_train_called_in_python_checks_the_same_ranges_first(arguments, tmp_path,
                                                             villagers_tfrecord):
    config.load([str(REPO / "configs/latent1d.gin"), str(REPO / "configs/test.gin")],
                [f"TFRECORD = '{villagers_tfrecord}'", "train.visualisers = []"],
                finalize=False)
    with pytest.raises(ConfigError, match=rf"train\.{next(iter(arguments))} must be "):
        train(tmp_path / "run", **arguments)
    assert not (tmp_path / "run").exists()


def _default_signals() -> None:
    """In the child before it starts: Ctrl-C and SIGTERM as a shell gives them. A child
    inherits an ignored SIGINT, and during the full suite the test process had come to ignore
    it (a command then ran to the end after the test's Ctrl-C and exited 0)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _popen(*args, script=None):
    command = [script] if script else [sys.executable, "-m"]
    return subprocess.Popen([*command, *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_signals)


def _script(name: str) -> str:
    path = os.path.join(sysconfig.get_path("scripts"), name)
    if not os.path.exists(path):
        pytest.skip(f"{name} is not installed (pip install -e .)")
    return path


def test_flag_mistakes_are_one_line_and_exit_2_and_help_exits_0():
    mistakes = {  # case 17, and flag errors of other commands and entry points
        ("acvae", "train", "--nosuch"):
            "error: Unknown command line flag 'nosuch' (acvae train --help lists the flags)",
        ("acvae", "prepare", "--shards=abc"):
            "error: flag --shards=abc: invalid literal for int() with base 10: 'abc' "
            "(acvae prepare --help lists the flags)",
        ("acvae.main", "--run_dri=x"):
            "error: Unknown command line flag 'run_dri'. Did you mean: run_dir ? "
            "(python -m acvae.main --help lists the flags)",
        ("acvae", "evaluate", "--k=many"):
            "error: flag --k=many: invalid literal for int() with base 10: 'many' "
            "(acvae evaluate --help lists the flags)",
    }
    helps = [("acvae", "train", "--help"), ("acvae.main", "-h"), ("acvae.prepare", "--helpfull"),
             ("acvae", "generate", "--helpshort")]
    running = {args: _popen(*args) for args in [*mistakes, *helps]}
    for args, process in running.items():
        out, err = process.communicate(timeout=600)
        if args in mistakes:
            assert (process.returncode, _lines(err)) == (2, [mistakes[args]]), args
        else:
            assert process.returncode == 0 and "--[no]traceback" in out, (args, err)
            assert "Traceback" not in err and not _lines(err), (args, err)


def test_ctrl_c_while_any_command_starts_is_one_line_and_exit_130(tmp_path, villagers_tfrecord):
    commands = [  # case 16 for python -m acvae and python -m acvae.main, and other entry points
        ("acvae", "train", *LATENT1D, f"--gin_param=TFRECORD = '{villagers_tfrecord}'",
         f"--run_dir={tmp_path / 'run'}"),
        ("acvae.main", *LATENT1D, f"--gin_param=TFRECORD = '{villagers_tfrecord}'",
         f"--run_dir={tmp_path / 'run2'}"),
        ("acvae.commands.evaluate", f"--run_dir={tmp_path / 'none'}"),  # imports TensorFlow at once
    ]
    running = [_popen(*args) for args in commands]
    running.append(_popen(str(tmp_path / "no_such_labels.csv"),
                          script=_script("acvae-prepare")))
    time.sleep(1.5)  # TensorFlow takes several seconds to start
    for process in running:
        process.send_signal(signal.SIGINT)
    for process in running:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 130, (process.args, err[-3000:])
        assert _lines(err) == ["interrupted while starting (nothing was written)"], err[-3000:]
    assert not (tmp_path / "run").exists() and not (tmp_path / "run2").exists()


class _Figure:
    """A visualiser writing ``filename`` beside the run; ``then`` runs after it is written."""

    def __init__(self, folder, filename, then=None):
        self.path, self.filename, self.then = folder / filename, filename, then

    def on_epoch_end(self, run, epoch):
        del run, epoch

    def on_train_end(self, run):
        del run
        self.path.write_text("figure")
        if self.then:
            self.then()
        return [self.path]


def _configure(villagers_tfrecord, *params):
    config.load([str(REPO / "configs/latent1d.gin"), str(REPO / "configs/test.gin")],
                [f"TFRECORD = '{villagers_tfrecord}'", "train.visualisers = []", "N_EPOCHS = 1",
                 *params], finalize=False)


def test_ctrl_c_during_the_final_figures_says_what_was_not_written_and_exits_130(
    tmp_path, villagers_tfrecord, capsys
):
    _configure(villagers_tfrecord)
    figures = tmp_path / "figures"
    figures.mkdir()
    ctrl_c = _Figure(figures, "first.png", lambda: os.kill(os.getpid(), signal.SIGINT))
    with pytest.raises(faults.TrainingInterrupted) as raised:
        train(tmp_path / "run", visualisers=[ctrl_c, _Figure(figures, "second.png")])
    assert raised.value.signal_number == signal.SIGINT  # 128 + 2 = 130 (test_cli)
    assert str(raised.value) == (
        "SIGINT: stopped writing the final figures after epoch 1 (all checkpoints saved); "
        "written: first.png; not written: second.png, the projector embedding; run the same "
        "command again to write them")
    assert "SIGINT received: stopping after the current figure" in capsys.readouterr().out
    assert not (figures / "second.png").exists()


def test_sigterm_before_the_final_figures_writes_none_and_exits_143(
    tmp_path, villagers_tfrecord, monkeypatch
):
    fit = experiment.Run.fit_sampler

    def fit_then_sigterm(run, **options):
        fit(run, **options)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(experiment.Run, "fit_sampler", fit_then_sigterm)
    _configure(villagers_tfrecord)
    with pytest.raises(faults.TrainingInterrupted, match="written: none; not written: a.png, "
                       "the projector embedding") as raised:
        train(tmp_path / "run", visualisers=[_Figure(tmp_path, "a.png")])
    assert raised.value.signal_number == signal.SIGTERM


def test_a_resume_refused_prints_its_error_line_and_nothing_after(tmp_path, villagers_tfrecord):
    _configure(villagers_tfrecord)
    train(tmp_path / "run")
    base = [*LATENT1D, f"--gin_param=TFRECORD = '{villagers_tfrecord}'",
            f"--run_dir={tmp_path / 'run'}", "--gin_param=N_EPOCHS = 2"]
    changes = ["--gin_param=encoders.conv.filters = (4, 8, 16)",  # case 18
               "--gin_param=decoders.conv.latent_mlp = (64,)"]
    running = [_popen("acvae.main", *base, change) for change in changes]
    for process in running:
        _, err = process.communicate(timeout=600)
        lines = err.strip().splitlines()  # TensorFlow's warnings look like its start-up lines
        assert process.returncode == 1, err[-3000:]
        assert len(lines) == 1 and lines[0].startswith(
            f"error: the checkpoint in {tmp_path / 'run' / 'checkpoints'} does not fit"), err


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


_save = run_folder.RunFolder.save


def _save_then_no_space(self, number):
    """The checkpoint is written, then the disk is full (say, for the ``checkpoint`` file)."""
    _save(self, number)
    _no_space()


@pytest.mark.parametrize("trained, failing, target, fake", [
    (1, 2, "save", _save_then_no_space),
    (0, 1, "save_best", _no_space),  # case 22: the epoch's checkpoint, then not the best one
])
def test_a_full_disk_names_the_epoch_the_run_resumes_after(
    trained, failing, target, fake, tmp_path, villagers_tfrecord, monkeypatch, capsys
):
    if trained:
        _configure(villagers_tfrecord, f"N_EPOCHS = {trained}")
        train(tmp_path)
        gin.clear_config()
    monkeypatch.setattr(run_folder.RunFolder, target, fake)
    _configure(villagers_tfrecord, f"N_EPOCHS = {failing}")
    with pytest.raises(run_folder.RunFolderError) as raised:
        train(tmp_path)
    assert config.explain(raised.value).endswith(f"resume after epoch {failing}")
    latest = tf.train.latest_checkpoint(str(tmp_path / run_folder.CHECKPOINT_DIR))
    assert latest.endswith(f"ckpt-{failing}")
    gin.clear_config()
    _configure(villagers_tfrecord, f"N_EPOCHS = {failing}")
    monkeypatch.undo()
    capsys.readouterr()
    train(tmp_path)
    assert f"resuming after epoch {failing}" in capsys.readouterr().out  # as the message said


@pytest.mark.parametrize("name", ["t.csv", "notes.txt", "README"])
def test_a_plugin_that_is_not_a_python_file_says_so(name, tmp_path):
    path = tmp_path / name
    path.write_text("name,file\nAgent S,agent.png\n")
    with pytest.raises(plugin_files.PluginImportError) as raised:
        plugin_files.load([path])
    assert str(raised.value) == (f"plugin {path} is not a Python file (a .py module): it cannot "
                                 "be imported")


# ------------------------------------------- re-test (helper G): config mistakes of other kinds

RETEST_CONFIG_CASES = [
    # a binding in a scope no reference enters: gin would ignore it
    ("trian/optimizers.adam.learning_rate = 0.1",
     r"^the scope trian of trian/optimizers\.adam\.learning_rate \(--gin_param .*\) is entered "
     r"by no reference, so gin would ignore the binding"),
    ("train/build_vae.latent_dim = 2", r"^the scope train of train/build_vae\.latent_dim"),
    # infinity is no number in any range
    ("train.beta = 1e999", r"^train\.beta must be a number >= 0, got inf$"),
    ("optimizers.adam.learning_rate = 1e999", r"^optimizers\.adam\.learning_rate must be a "),
    # a value of another type than the parameter's annotation or default
    ("augmentations.shift.flip = 'False'", r"^augmentations\.shift\.flip must be True or "
     r"False, got 'False' \(a string: write it without quotes\)$"),
    ("train.jit_compile = 'false'", r"^train\.jit_compile must be True, False or None, "),
    ("optimizers.adam.amsgrad = 'yes'", r"^optimizers\.adam\.amsgrad must be True or False, "),
    # a component written the wrong way, or a string or another kind where one is expected
    ("train.optimizer = @optimizers.adam", r"^train\.optimizer = @optimizers\.adam: write "
     r"@optimizers\.adam\(\) \(a config builds optimizers by calling them\)$"),
    ("build_vae.encoder = @encoders.dense()", r"^build_vae\.encoder = @encoders\.dense\(\): "
     r"write @encoders\.dense \(acvae calls encoders itself"),
    ("train.optimizer = 'adam'", r"^train\.optimizer must be a reference such as "
     r"@optimizers\.\w+\(\) \(or None\), got 'adam' \(write @optimizers\.adam\(\)\)$"),
    ("train.optimizer = @samplers.prior()", r"^train\.optimizer must be a reference such as "),
    ("train.visualisers = '[]'", r"^train\.visualisers must be a list of references such as "),
    # a name a library must know
    ("encoders.conv.activation = 'rleu'", r"^encoders\.conv\.activation must be the name of a "
     r"Keras activation such as relu, gelu or swish, got 'rleu'$"),
    # figure knobs have an upper bound (a huge one used to be a matplotlib traceback)
    ("visualisers.latent_grid.n = 100000", r"^visualisers\.latent_grid\.n must be an integer "
     r"in \[1, 100\], got 100000$"),
    # unclear messages: a macro in the wrong case, a macro whose use a binding replaced
    ("latent_dim = 2", r"^the macro latent_dim .* did you mean LATENT_DIM\? "),
    ("build_vae.latent_dim = 2", r"^the macro LATENT_DIM \(.*base\.gin, line \d+\) is used "
     r"nowhere in the config: a later binding replaced its use 'build_vae\.latent_dim = "
     r"%LATENT_DIM' \(.*base\.gin, line \d+\); set LATENT_DIM instead"),
]


@pytest.mark.parametrize("binding, message", RETEST_CONFIG_CASES)
def test_other_config_mistakes_are_one_line_before_anything_is_built(binding, message,
                                                                     villagers_tfrecord):
    with pytest.raises(ConfigError) as raised:
        config.load([str(REPO / "configs/latent1d.gin"), str(REPO / "configs/test.gin")],
                    [f"TFRECORD = '{villagers_tfrecord}'", binding], finalize=False)
    assert re.search(message, str(raised.value)), str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_figure_too_large_to_open_is_refused_before_it_is_drawn():
    from matplotlib.figure import Figure

    from acvae.visualise import files

    with pytest.raises(ConfigError, match=r"^a figure of 100000x1900 pixels is more than the 89 "
                                          r"million image tools open; lower the visualiser's"):
        files.figure(Figure(figsize=(1000, 19), dpi=100))
    files.checked(Figure(figsize=(8, 6), dpi=100))  # an ordinary figure passes


SIGTERM_DRIVER = """
import os, pathlib, signal, sys, time
from acvae.core import cli, fileio

def main(argv):
    with fileio.atomic_path(pathlib.Path(sys.argv[1]) / "out.png") as tmp:
        tmp.write_bytes(b"half written")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)

cli.run(main, ["acvae-test"])
"""


def test_sigterm_while_any_command_writes_removes_its_temporary_file_and_exits_143(tmp_path):
    result = subprocess.run([sys.executable, "-c", SIGTERM_DRIVER, str(tmp_path)], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 143, result.stderr[-3000:]
    assert _lines(result.stderr) == ["interrupted: SIGTERM received"]
    assert list(tmp_path.iterdir()) == []  # neither the output nor its hidden temporary file


@pytest.mark.parametrize("command", [["-m", "acvae", "prepare", "t.csv", "images"],
                                     ["-m", "acvae", "show-sample", "x.tfrecord", "--out", "x.png"]])
def test_sigterm_while_a_command_starts_is_one_line_and_143(command):
    process = _popen(*command[1:])
    time.sleep(1.5)  # TensorFlow is still loading
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 143, stderr[-3000:]
    assert _lines(stderr) == ["interrupted while starting (nothing was written): SIGTERM received"]
