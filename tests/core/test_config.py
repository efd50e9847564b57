"""acvae.core.config: what gin rejects becomes one ConfigError with the valid names."""

import gin
import pytest

from acvae.core import config
from acvae.core.errors import ConfigError
from tests.conftest import REPO


@pytest.mark.parametrize("binding, message", [
    ("build_vae.encoder = @encoders.nope", "valid encoders: conv, dense"),
    ("encoders.conv.filterz = (4,)", "valid parameters: input_shape, latent_dim, filters"),
    ("encoders.conv.filters = (4,", "gin syntax error"),
    ("include 'no/such/file.gin'", "Unable to open file: no/such/file.gin"),
    ("import no_such_module_anywhere", "No module named 'no_such_module_anywhere'"),
])
def test_parse_mistakes_are_config_errors(binding, message):
    with pytest.raises(ConfigError, match=message):
        config.parse(lambda: gin.parse_config(binding))


def test_call_time_mistakes_are_recognised_and_others_are_not():
    @gin.configurable("needs_a_value_for_test")
    def needs(value=gin.REQUIRED, other=1):
        return value, other

    with pytest.raises(RuntimeError) as missing:
        needs()
    assert "needs_a_value_for_test" in str(config.call_error(missing.value))
    gin.parse_config("needs_a_value_for_test.other = %UNDEFINED_MACRO")
    with pytest.raises(TypeError) as undefined:
        needs(1)
    assert "%UNDEFINED_MACRO is used but never defined" in str(config.call_error(undefined.value))
    assert config.call_error(TypeError("a bug")) is None
    assert config.call_error(RuntimeError("another bug")) is None


def test_the_project_folders_are_found_from_the_package():
    """Configs include ``configs/base.gin`` from any folder, and the project's plugins are
    trusted, because acvae finds the project root from its own files."""
    from acvae.core import plugin_files

    assert config.PROJECT_ROOT == REPO and plugin_files.PROJECT_PLUGINS == REPO / "plugins"
