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


def test_a_ctrl_c_that_python_drops_in_a_finalizer_still_stops_the_start():
    # TensorFlow's start runs finalizers; a KeyboardInterrupt raised in one is printed and
    # dropped by Python, and the command used to run on and exit 0
    script = textwrap.dedent("""
        import signal
        from acvae.core import cli

        class Finalised:
            def __del__(self):  # the Ctrl-C handler runs here, as a signal landing in it would
                signal.getsignal(signal.SIGINT)(signal.SIGINT, None)

        cli.start_tensorflow = lambda verbosity: Finalised()
        cli.interrupt_at_start()

        def main(argv):
            print("the command ran")

        cli.run(main)
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 130 and "the command ran" not in result.stdout
    assert "KeyboardInterrupt" in result.stderr  # Python's note of the dropped exception
    assert result.stderr.splitlines()[-1] == "interrupted while starting (nothing was written)"
