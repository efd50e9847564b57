"""What a user sees: a tiny training whose stderr has no TensorFlow C++ start-up line and no
cache warning (and whose --log_dir gets the log), the lines back with --verbosity=1,
``python -m acvae`` listing the commands, every console script answering --help, and a
progress bar only where it belongs."""

import io
import os
import re
import subprocess
import sys
import sysconfig
import pathlib

import pytest

from acvae import __main__ as launcher
from acvae.training import progress
from tests.conftest import REPO

# TensorFlow's C++ log lines (I/W/E + date) and its absl preamble, as printed at start-up
TF_LINE = re.compile(r"^([IWEF]\d{4} |WARNING: All log messages before absl)|cudart_stub|"
                     r"cpu_feature_guard|cuInit|did not fully read the dataset being cached",
                     re.M)


def _env():
    """The user's environment: no TF_CPP_MIN_LOG_LEVEL (the tests' conftest sets one)."""
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return env


def _python(*args, timeout=600):
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env=_env())


def test_a_tiny_training_has_a_quiet_console_and_logs_to_log_dir(tmp_path, villagers_tfrecord):
    # BATCH_SIZE = 2: the validation split is several batches, so reading only the first few
    # images of its cache (as training once did for its summaries) would warn
    result = _python("-m", "acvae.main", "--gin_file=configs/latent1d.gin",
                     "--gin_file=configs/test.gin",
                     f"--gin_param=TFRECORD = '{villagers_tfrecord}'",
                     "--gin_param=BATCH_SIZE = 2", "--gin_param=N_EPOCHS = 2",
                     "--gin_param=train.visualisers = []", f"--run_dir={tmp_path / 'run'}",
                     f"--log_dir={tmp_path / 'logs'}")
    assert result.returncode == 0, result.stderr
    assert not TF_LINE.search(result.stderr), result.stderr
    assert result.stderr.strip() == "", result.stderr
    assert "epoch 2/2" in result.stdout
    (log,) = [p for p in (tmp_path / "logs").iterdir() if ".log.INFO." in p.name]
    assert "epoch 2/2" in log.read_text()


def test_verbosity_1_shows_tensorflows_start_up_lines():
    quiet = _python("-m", "acvae.main", "--list")
    loud = _python("-m", "acvae.main", "--list", "--verbosity=1")
    assert quiet.returncode == 0 and loud.returncode == 0, loud.stderr
    assert not TF_LINE.search(quiet.stderr), quiet.stderr
    assert re.search(r"cpu_feature_guard|cudart_stub|cuInit", loud.stderr), loud.stderr


def test_python_m_acvae_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        launcher.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in launcher.COMMANDS:
        assert re.search(rf"^  {command.name} +\S", out, re.M), command.name
    with pytest.raises(SystemExit) as exit_:
        launcher.main(["trian"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.startswith("error: unknown command 'trian'; valid: synthetic")


def test_every_console_script_answers_help():
    scripts = pathlib.Path(sysconfig.get_path("scripts"))
    names = ["acvae"] + [f"acvae-{command.name}" for command in launcher.COMMANDS]
    missing = [name for name in names if not (scripts / name).exists()]
    if missing:
        pytest.skip(f"not installed with pip (pip install -e .): {', '.join(missing)}")
    running = {name: subprocess.Popen([str(scripts / name), "--help"], cwd=REPO, env=_env(),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for name in names}
    for name, process in running.items():
        out, err = process.communicate(timeout=300)
        assert "Traceback" not in out + err and not TF_LINE.search(err), (name, err)
        if name == "acvae":
            assert process.returncode == 0 and "commands:" in out
        else:  # absl's help, exiting 0 as help does
            assert process.returncode == 0, (name, err)
            assert "--[no]traceback" in out and f"acvae {name[6:]}" in out, (name, out)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_only_after_its_delay_and_gone_at_the_end():
    terminal = _Terminal()
    with progress.EpochProgress(100, epoch=3, delay=0, stream=terminal) as bar:
        for _ in range(10):
            bar.update(10)
    text = terminal.getvalue()
    assert "epoch 3:" in text and "/100 [" in text  # tqdm redraws at most every 0.1 s
    assert text.endswith("\r") and text.rstrip("\r").endswith(" ")  # cleared: leave=False
    quiet = _Terminal()
    with progress.EpochProgress(100, epoch=3, delay=3600, stream=quiet) as bar:
        bar.update(100)
    assert "epoch 3" not in quiet.getvalue()  # a short epoch shows no bar


def test_progress_in_a_log_file_is_plain_lines_and_only_for_long_epochs():
    log = io.StringIO()
    with progress.EpochProgress(4, epoch=2, interval=0, stream=log) as bar:
        bar.update(2)
        bar.update(2)
    assert log.getvalue().splitlines()[0].startswith("epoch 2: 2/4 steps (50%) in ")
    assert "\r" not in log.getvalue()
    short = io.StringIO()
    with progress.EpochProgress(4, epoch=2, stream=short) as bar:
        bar.update(4)
    assert short.getvalue() == ""
