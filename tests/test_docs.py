"""The README and docs/ read as a manual that agrees with the code: every command they show has
flags its command defines (with values its flags accept), every config and gin binding they
show loads, every plugin example works, and the figures they quote agree with the configs."""

import importlib
import importlib.util
import pathlib
import re
import shlex

import gin
import pytest
from absl import flags

from acvae import __main__ as commands
from acvae.core import config
from tests.conftest import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
ABSL_FLAGS = {"help", "helpfull", "helpshort", "verbosity", "v", "log_dir", "logtostderr",
              "alsologtostderr", "stderrthreshold", "showprefixforinfo"}
GENERATE_MODES = {"sample", "interpolate", "reconstruct"}


def blocks(path: pathlib.Path, *languages: str) -> list[str]:
    """The fenced code blocks of ``path`` in any of ``languages`` ('' is an untagged block)."""
    return [body for language, body in FENCE.findall(path.read_text(encoding="utf-8"))
            if language in languages]


def command_lines(text: str) -> list[list[str]]:
    """Each ``python -m acvae...`` command of a shell block, continuation lines joined and
    trailing comments dropped, split as a shell would."""
    lines = []
    for line in text.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        starts = [i for i, word in enumerate(words[:-1])
                  if word.endswith("python") and words[i + 1] == "-m"
                  and words[i + 2].split(".")[0] == "acvae"]
        lines += [words[i + 2:] for i in starts]
    return lines


def command_module(words: list[str]) -> tuple[str, list[str]]:
    """The module a command line runs, and its arguments."""
    if words[0] == "acvae":
        return commands.BY_NAME[words[1]].module, words[2:]
    spec = importlib.util.find_spec(words[0])
    assert spec is not None, f"no module {words[0]}"
    return (f"{words[0]}.__main__" if spec.submodule_search_locations else words[0]), words[1:]


def documented_commands() -> list[tuple[str, list[str]]]:
    """(doc file, command words) for every command in a shell or plain block of the docs."""
    found = []
    for path in DOCS:
        for block in blocks(path, "bash", "", "sh"):
            found += [(path.name, words) for words in command_lines(block)]
    return found


def check_flags(module: str, args: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Checks every ``--flag`` of ``args`` exists for ``module`` and accepts its value.

    Returns:
      The positional arguments, the ``--gin_file`` values and the ``--gin_param`` values.
    """
    defining = importlib.import_module(module).main.__module__  # an entry shim's command
    known = {flag.name for flag in flags.FLAGS.get_key_flags_for_module(defining)}
    known |= {"traceback"} | ABSL_FLAGS
    positional, gin_files, gin_params = [], [], []
    words = iter(args)
    for word in words:
        if not word.startswith("--"):
            positional.append(word)
            continue
        name, _, value = word[2:].partition("=")
        if name not in known and name.startswith("no") and name[2:] in known:
            assert flags.FLAGS[name[2:]].boolean, f"--{name}: --{name[2:]} is not a boolean"
            continue
        assert name in known, f"{module} has no flag --{name}"
        flag = flags.FLAGS[name]
        if not value and not flag.boolean:
            value = next(words)
        if value:
            flag.parser.parse(value)  # raises on a value the flag refuses
        gin_files += [value] if name == "gin_file" else []
        gin_params += [value] if name == "gin_param" else []
    return positional, gin_files, gin_params


DOCUMENTED = documented_commands()


def test_the_docs_show_commands():
    assert len(DOCUMENTED) >= 30
    assert {"README.md", "data.md", "training.md", "evaluation.md"} <= {f for f, _ in DOCUMENTED}


@pytest.mark.parametrize("doc, words", DOCUMENTED, ids=[" ".join(w)[:70] for _, w in DOCUMENTED])
def test_a_documented_command_parses(doc, words, monkeypatch):
    module, args = command_module(words)
    positional, gin_files, gin_params = check_flags(module, args)
    if module.endswith("generate"):
        assert positional and positional[0] in GENERATE_MODES, f"{doc}: {words}"
    if module == "acvae.main" and gin_files:
        monkeypatch.chdir(REPO)
        config.load(gin_files, gin_params, finalize=False)


def test_check_flags_fails_on_a_flag_the_command_lacks():
    with pytest.raises(AssertionError, match="no flag --lattent_dim"):
        check_flags("acvae.main", ["--lattent_dim=2"])
    with pytest.raises(ValueError, match="full|fast|off"):
        check_flags("acvae.commands.evaluate", ["--sample_quality=fastest"])


@pytest.fixture(scope="module")
def plugin_folder(tmp_path_factory) -> pathlib.Path:
    """A folder holding the README's plugin example as ``my_plugins/tiny_mlp.py``."""
    plugin = [b for b in blocks(REPO / "README.md", "python") if "tiny_mlp" in b]
    assert len(plugin) == 1
    folder = tmp_path_factory.mktemp("readme_plugin")
    (folder / "my_plugins").mkdir()
    (folder / "my_plugins" / "__init__.py").write_text("")
    (folder / "my_plugins" / "tiny_mlp.py").write_text(plugin[0])
    return folder


@pytest.fixture
def readme_plugin(plugin_folder, monkeypatch) -> None:
    """The README's plugin example where a gin ``import`` line finds it (imported once)."""
    monkeypatch.syspath_prepend(str(plugin_folder))
    monkeypatch.chdir(REPO)


GIN_BLOCKS = [(path.name, block) for path in DOCS for block in blocks(path, "gin")]


@pytest.mark.parametrize("doc, block", GIN_BLOCKS, ids=[f"{d}-{i}" for i, (d, _) in enumerate(GIN_BLOCKS)])
def test_a_documented_gin_block_loads(doc, block, tmp_path, readme_plugin):
    text = block if "include" in block else "include 'configs/demo.gin'\n" + block
    (tmp_path / "snippet.gin").write_text(text)
    config.load([str(tmp_path / "snippet.gin")], [], finalize=False)


def test_the_readme_plugin_example_builds_a_model(tmp_path, readme_plugin):
    from acvae.models.build import build_vae

    (block,) = [b for b in blocks(REPO / "README.md", "gin") if "tiny_mlp" in b]
    (tmp_path / "plugin.gin").write_text(block)
    config.load([str(tmp_path / "plugin.gin")], [], finalize=False)
    model = build_vae(image_shape=gin.query_parameter("IMAGE_SHAPE/macro.value"),
                      n_channels=gin.query_parameter("N_CHANNELS/macro.value"))
    dense = [layer for layer in model.encoder.layers if layer.name.startswith("dense")]
    assert [layer.units for layer in dense] == [64, 2 * model.latent_dim]


def test_python_examples_import_what_they_name():
    for path in DOCS:
        for block in blocks(path, "python"):
            for line in block.splitlines():
                if re.match(r"(from acvae[\w.]* import [\w, ]+|import acvae[\w.]*)$", line):
                    exec(line, {})


def test_the_readme_is_a_manual_not_a_log():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 350
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bissues?\b", text, re.IGNORECASE), f"{path.name} cites an issue"


def test_the_readme_agrees_with_the_configs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for row in re.findall(r"^\| `configs/(\w+)\.gin` \|(.*)$", readme, re.MULTILINE):
        name, text = row
        epochs = re.findall(r"(\d+) epochs", text)
        if len(epochs) == 1:
            gin.clear_config()
            config.load([str(REPO / "configs" / f"{name}.gin")], [], finalize=False)
            assert gin.query_parameter("N_EPOCHS/macro.value") == int(epochs[0]), name
    demo = " ".join((REPO / "configs/demo.gin").read_text(encoding="utf-8").split()).replace("# ", "")
    said = re.search(r"\(about ([^;)]+?) on an idle 2-core CPU", " ".join(readme.split()))
    assert said and f"About {said.group(1)} on an idle 2-core CPU" in demo


def test_every_module_and_path_the_docs_name_exists():
    for path in DOCS + [REPO / "ARCHITECTURE.md"]:
        text = path.read_text(encoding="utf-8")
        for named in re.findall(r"(?<![~\w/.])acvae/[\w/]+(?:\.py)?", text):
            assert (REPO / named).exists(), f"{path.name} names {named}"
        for dotted in set(re.findall(r"`(acvae(?:\.\w+)+)", text)):
            parts = dotted.split(".")
            found = parts[0]
            for i in range(2, len(parts) + 1):  # the longest importable prefix
                try:
                    importlib.import_module(".".join(parts[:i]))
                except ModuleNotFoundError:
                    break
                found = ".".join(parts[:i])
            obj = importlib.import_module(found)
            for attribute in parts[len(found.split(".")):]:
                obj = getattr(obj, attribute)  # raises when the docs name what is not there
