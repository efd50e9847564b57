"""Every command follows one convention: absl flags under --help and one ``error:`` line for a
user's mistake (``tests/core/test_cli.py`` tests --traceback and Ctrl-C on ``cli.run`` itself)."""

import subprocess
import sys

import pytest

from tests.conftest import REPO, without_tf_log

COMMANDS = {
    "acvae.main": ["--gin_file", "--gin_param", "--run_dir", "--plugin", "--list",
                   "--allow_config_change"],
    "acvae.commands.visualise": ["--run_dir", "--checkpoint", "--only", "--gin_param",
                                 "--list", "--trust_plugins"],
    "acvae.commands.evaluate": ["--run_dir", "--checkpoint", "--k", "--samples",
                                "--elbo_samples", "--seed", "--trust_plugins"],
    "acvae.commands.generate": ["--run_dir", "--checkpoint", "--n", "--out", "--label_value",
                                "--species", "--steps", "--linear", "--trust_plugins"],
    "acvae.commands.export": ["--run_dir", "--checkpoint", "--out", "--trust_plugins"],
}


def _run(*args):
    result = subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    result.stderr = without_tf_log(result.stderr)
    return result


@pytest.mark.parametrize("module", sorted(COMMANDS))
def test_help_shows_the_commands_absl_flags(module):
    result = _run(module, "--help")  # absl prints the help and exits 1
    text = result.stdout + result.stderr
    assert "Traceback" not in text
    assert "--[no]traceback" in text and "Try --helpfull to get a list of all flags." in text
    for flag in COMMANDS[module]:
        assert f"  {flag}:" in text or f"  --[no]{flag[2:]}:" in text, flag


@pytest.mark.parametrize("args, message", [
    (["acvae.commands.evaluate", "--run_dir=/nonexistent/run"], "error: no run folder /nonexistent/run"),
    (["acvae.main", "--gin_file=configs/demo.gin", "--gin_param=encoders.conv.filters = (4,"],
     "error: gin syntax error"),
])
def test_a_mistake_is_one_error_line(args, message, tmp_path):
    run_dir = [f"--run_dir={tmp_path / 'run'}"] if args[0] == "acvae.main" else []
    result = _run(*args, *run_dir)
    assert result.returncode == 1
    assert result.stderr.strip().startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_a_missing_include_is_one_error_line(tmp_path):
    config = tmp_path / "broken.gin"
    config.write_text("include 'configs/no_such_base.gin'\n")
    result = _run("acvae.main", f"--gin_file={config}", f"--run_dir={tmp_path / 'run'}")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: no gin file configs/no_such_base.gin to "
                                            f"include ({config}, line 1)")
    assert len(result.stderr.strip().splitlines()) == 1
