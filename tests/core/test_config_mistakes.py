"""Config mistakes through the real command: each is one ``error:`` line naming the file and
line where gin gives one, exit code 1, and no run folder.

One subprocess runs ``cli.run(train_command.main, ...)`` (what ``python -m acvae.main`` runs) on every
case in turn, so the whole table costs one interpreter start.
"""

import json
import subprocess
import sys

import pytest

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

DEMO = ["--gin_file=configs/demo.gin", "--gin_file=configs/test.gin"]
LATENT1D = ["--gin_file=configs/latent1d.gin", "--gin_file=configs/test.gin"]


@pytest.fixture(scope="module")
def broken_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken_configs")
    files = {
        "syntax": "include 'configs/base.gin'\nLATENT_DIM = \n",
        "include": "include 'configs/no_such_base.gin'\n",
        "macro": "include 'configs/base.gin'\nLATENT_DIM = %UNDEFINED\n",
        "nested": "include 'MACRO'\n",
    }
    paths = {name: folder / f"{name}.gin" for name in files}
    for name, text in files.items():
        paths[name].write_text(text.replace("MACRO", str(paths["macro"])))
    return paths


def cases(files):
    """(argv, the expected error line) for every mistake."""
    return [
        (["--gin_file", str(files["syntax"])],
         f"error: gin syntax error in {files['syntax']}, line 2: Unable to parse value. "
         "(LATENT_DIM =)"),
        (["--gin_file", str(files["include"])],
         f"error: no gin file configs/no_such_base.gin to include ({files['include']}, line 1); "
         "looked in the current folder, the project root and the including file's folder"),
        (["--gin_file", str(files["nested"]), "--gin_file=configs/test.gin"],
         f"error: the macro %UNDEFINED is used but never defined ({files['macro']}, line 2); "
         "add 'UNDEFINED = ...' to the config or a --gin_param"),
        ([*DEMO, "--gin_param=IMAGE_SHAPE = 16"],
         "error: input_pipeline.image_shape (IMAGE_SHAPE) must be a tuple of 2 integers >= 1, "
         "got 16"),
        ([*DEMO, "--gin_param=N_EPOCHS = '2'"],
         "error: train.n_epochs (N_EPOCHS) must be an integer >= 1, got '2' (a string: write the "
         "number without quotes)"),
        ([*LATENT1D, "--gin_param=TFRECORD = 5"],
         "error: datasets.tfrecord.path (TFRECORD) must be a string in quotes, got 5"),
        ([*DEMO, "--gin_param=visualisers.latent_grid.n = 0"],
         "error: visualisers.latent_grid.n must be an integer in [1, 100], got 0"),
        ([*DEMO, "--gin_param=build_vae.latent_dim = %NOT_DEFINED"],
         "error: the macro %NOT_DEFINED is used but never defined; add 'NOT_DEFINED = ...' to the "
         "config or a --gin_param"),
    ]


def test_each_config_mistake_is_one_error_line_and_leaves_no_run_folder(broken_files, tmp_path):
    table = cases(broken_files)
    argvs = [[*argv, f"--run_dir={tmp_path / f'run{i}'}"] for i, (argv, _) in enumerate(table)]
    result = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(argvs)], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    lines = [line for line in without_tf_log(result.stderr).splitlines() if line.strip()]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    expected = [line for _, message in table for line in (message, "exit 1")]
    assert lines == expected
    assert not list(tmp_path.iterdir())  # no run folder for a config that is wrong
