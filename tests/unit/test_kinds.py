"""The table of cell kinds says what the cells really do: gates, state, weights, ranges."""

from __future__ import annotations

import pytest
import torch

from rnnviz.core import cells
from rnnviz.core.kinds import KINDS, MENU_ORDER, TABLE, kind_info


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sizes", [(8, 16), (16, 16), (3, 5)])
def test_parameter_count_is_what_the_cell_holds(kind: str, sizes: tuple[int, int]) -> None:
    """The formula equals sum(p.numel()) of the built cell, with and without SRU's highway projection."""
    cell = cells.make(kind, *sizes)
    assert kind_info(kind).parameter_count(*sizes) == sum(p.numel() for p in cell.parameters())


@pytest.mark.parametrize("kind", KINDS)
def test_gates_state_and_blocks_match_a_step(kind: str) -> None:
    """step.gates come in the table's order, the state has the table's parts, W_ih stacks `blocks` blocks."""
    info, cell = kind_info(kind), cells.make(kind, 4, 6)
    step = cell(torch.randn(3, 4))
    assert tuple(step.gates) == info.gates
    parts = step.state if isinstance(step.state, tuple) else (step.state,)
    assert len(parts) == len(info.state_names)
    assert cell.weight_ih.shape[0] == info.blocks * 6
    assert set(info.sigmoid_gates) <= set(info.gates)
    assert info.traced[-1] == "hidden" and info.has_cell_state == (kind in ("lstm", "sru"))


@pytest.mark.parametrize("kind", KINDS)
def test_value_ranges_hold_on_a_real_step(kind: str) -> None:
    """Every gate and state with a range stays inside it for large random inputs."""
    info, cell = kind_info(kind), cells.make(kind, 5, 7)
    step = cell(10 * torch.randn(64, 5))
    values = {**step.gates, "hidden": step.h}
    for name in info.traced:
        bounds = info.value_range(name)
        if bounds is not None:
            assert bounds[0] <= values[name].min() and values[name].max() <= bounds[1], name
    assert (info.value_range("hidden") is None) == (kind in ("rnn-relu", "sru"))


def test_unknown_kind_names_the_known_ones() -> None:
    """A typo gets the list of kinds, from the table and from make()."""
    with pytest.raises(ValueError, match="lstm, gru"):
        kind_info("lstn")
    with pytest.raises(ValueError, match="expected one of"):
        cells.make("lstn", 2, 2)


def test_every_kind_has_a_distinct_label_and_colour_and_a_menu_place() -> None:
    """Legends never show two kinds alike; menus list every kind once."""
    assert len({kind.label for kind in TABLE.values()}) == len(KINDS)
    assert len({kind.color for kind in TABLE.values()}) == len(KINDS)
    assert sorted(MENU_ORDER) == sorted(KINDS)
