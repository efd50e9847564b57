"""Tests for acvae.analysis.generation: the interpolation paths, and a label value or an item
named as a user types it (any case, any Unicode normal form), else one line listing the closest
names. The images it makes are tested through the command (tests/commands/test_generate.py)."""

import types
import unicodedata

import numpy as np
import pytest

from acvae.analysis import generation
from acvae.core.errors import UserError


def test_slerp_and_lerp():
    a, b = np.array([2.0, 0.0]), np.array([0.0, 2.0])
    path = generation.slerp(a, b, np.linspace(0, 1, 5))
    np.testing.assert_allclose(path[0], a, atol=1e-6)
    np.testing.assert_allclose(path[-1], b, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 2.0, atol=1e-5)  # on the circle
    np.testing.assert_allclose(generation.lerp(a, b, [0.5])[0], [1.0, 1.0])
    one_d = generation.slerp(np.array([-1.0]), np.array([3.0]), np.linspace(0, 1, 3))
    np.testing.assert_allclose(one_d[:, 0], [-1.0, 1.0, 3.0])  # antiparallel: linear


def conditioned_on(name: str, values: list[str]):
    """A stand-in for a model conditioned on the label ``name`` with ``values``."""
    return types.SimpleNamespace(conditions=types.SimpleNamespace(name=name, values=values))


def test_a_label_value_is_found_in_any_case_and_normal_form():
    model = conditioned_on("species", ["Frog", "Cat", "Hamster", "Éléphant"])
    assert generation.label_id(model, "frog") == 0
    assert generation.label_id(model, unicodedata.normalize("NFD", "éléphant")) == 3
    with pytest.raises(UserError, match=r"^unknown species 'Frgo'; closest: Frog$"):
        generation.label_id(model, "Frgo")
    with pytest.raises(UserError, match=r"^unknown species 'Zebra'; valid: Frog, Cat, "):
        generation.label_id(model, "Zebra")


def test_a_label_value_needs_a_conditional_model():
    with pytest.raises(UserError, match="^--species needs a label-conditional model"):
        generation.label_id(types.SimpleNamespace(conditions=None), "Frog", flag="--species")


def test_an_unknown_name_lists_the_closest_or_the_first_valid_ones():
    error = generation.closest("item with name", "Trol", ["Trool", "Agent S", "Trool"])
    assert str(error) == "no item with name 'Trol'; closest: Trool"
    many = [f"v{i:02d}" for i in range(25)]
    error = generation.closest("item with name", "Nobody At All", many)
    assert str(error) == f"no item with name 'Nobody At All'; valid: {', '.join(many[:20])}, ..."
