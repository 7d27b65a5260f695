"""The Unrolled graph page's scene: typed input parsed safely, targets that mean something, equations that match."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.core.kinds import KINDS
from rnnviz.data.tasks import IGNORE_INDEX
from rnnviz.unrolled import build_graph, path_terms
from rnnviz.unrolled.scene import (
    MAX_TEXT,
    SceneSettings,
    check_against_autograd,
    make_scene,
    node_equations,
    parse_numbers,
)


def test_numbers_are_parsed_and_bad_ones_named() -> None:
    """Commas, spaces, semicolons; NaN, infinity, words and huge values get a message naming the number."""
    assert parse_numbers("0.5, -1;2  3")[0] == [0.5, -1.0, 2.0, 3.0]
    for typed, message in [("", "at least one"), ("1, nan", "number 2"), ("inf", "finite"), ("1 two", "not a number"),
                           ("1e9", "million")]:
        with pytest.raises(ValueError, match=message):
            parse_numbers(typed)


def test_text_input_is_one_hot_and_targets_the_next_character() -> None:
    """Each character is a step; its target is the next character; the last step has no loss."""
    scene = make_scene(SceneSettings(input_mode="text", text="abca"))
    assert scene.x.shape == (1, 4, 3) and torch.equal(scene.x.sum(-1), torch.ones(1, 4))
    assert scene.targets.tolist() == [[1, 2, 0, IGNORE_INDEX]]
    assert scene.classes == ["‘a’", "‘b’", "‘c’"]


def test_long_text_is_cut_with_a_note_and_emoji_are_steps_too() -> None:
    """5,000+ characters are cut with a note; any character, emoji or markup included, is one step."""
    scene = make_scene(SceneSettings(input_mode="text", text="🙂<b>" * 2000))
    assert scene.x.shape[1] == MAX_TEXT and "first 5,000" in scene.notes[0]
    with pytest.raises(ValueError, match="at least one character"):
        make_scene(SceneSettings(input_mode="text", text=""))


@pytest.mark.parametrize("bad", [{"steps": 0}, {"steps": 10_001}, {"hidden_size": 0}, {"kind": "lstn"},
                                 {"input_mode": "audio"}, {"num_layers": 9}])
def test_settings_out_of_range_are_refused(bad: dict) -> None:
    """Every knob is checked with a ValueError that says what was expected."""
    with pytest.raises(ValueError):
        SceneSettings(**bad)


def test_the_same_seed_gives_the_same_scene_and_another_seed_another() -> None:
    """Weights and random input come from the run's own generator."""
    first, again = make_scene(SceneSettings(seed=3)), make_scene(SceneSettings(seed=3))
    other = make_scene(SceneSettings(seed=4))
    assert torch.equal(first.x, again.x) and torch.equal(first.model.head.weight, again.model.head.weight)
    assert not torch.equal(first.x, other.x)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_node_equations_give_the_nodes_own_value(kind: str, bidirectional: bool) -> None:
    """The last equation of every unit of an h node reproduces the value the graph shows, in both directions."""
    scene = make_scene(SceneSettings(kind=kind, num_layers=2, bidirectional=bidirectional, input_mode="numbers"))
    graph = build_graph(scene.model, scene.x, targets=scene.targets)
    for node in [n for n in graph.nodes_of("h") if n.step in (0, 3, 5)]:
        for unit in range(scene.settings.hidden_size):
            final = node_equations(scene, node.id, unit)[-1]
            assert final.value == pytest.approx(float(node.value[unit]), abs=1e-5), (node.id, unit)
    with pytest.raises(ValueError, match="hidden state node"):
        node_equations(scene, "x[0]", 0)


@pytest.mark.parametrize("kind", KINDS)
def test_the_autograd_check_is_tiny_and_would_see_a_wrong_term(kind: str) -> None:
    """The per-path sums equal autograd to 1e-12; a corrupted term shows up as a large difference."""
    scene = make_scene(SceneSettings(kind=kind, input_mode="text", text="hello world"))
    terms = path_terms(scene.model, scene.x, scene.targets)
    check = check_against_autograd(scene, terms)
    assert check.rows < 1e-12 and check.total < 1e-12 and check.gradient_norm > 0
    name = terms.terms["W"].parameters[0]
    terms.terms["W"].total[name].add_(1.0)  # a wrong total must not pass
    assert check_against_autograd(scene, terms).total == pytest.approx(1.0)
    assert np.isfinite(terms.terms["W"].norms).all()
