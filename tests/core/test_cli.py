"""The command-line convention: one ``error:`` line for a UserError, tracebacks otherwise."""

import subprocess
import sys
import textwrap

from tests.conftest import REPO


def _command(body: str, *args):
    script = textwrap.dedent("""
        from acvae.core import cli
        from acvae.core.errors import UserError

        def main(argv):
        {body}

        cli.run(main)
    """).format(body=textwrap.indent(textwrap.dedent(body), "    "))
    return subprocess.run([sys.executable, "-c", script, *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_user_error_is_one_line_and_exit_1():
    result = _command("raise UserError('no run folder x\\nvalid: a, b')")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: no run folder x; valid: a, b"


def test_traceback_flag_shows_the_traceback():
    result = _command("raise UserError('bad')", "--traceback")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "UserError: bad" in result.stderr


def test_programming_errors_keep_their_traceback():
    result = _command("raise ValueError('a bug')")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "ValueError: a bug" in result.stderr


def test_interrupt_exits_130():
    result = _command("raise KeyboardInterrupt")
    assert result.returncode == 130
    assert "Traceback" not in result.stderr
