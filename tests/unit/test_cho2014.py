"""Cho et al. (2014) Tables 2-3: the paper's ten phrases and a model's answers beside them."""

from __future__ import annotations

import pytest

from rnnviz.seq2seq.cho2014 import FREQUENT, PAPER_PHRASES, RARE, compare_with_paper


class Recorder:
    """A stand-in translator that records what it was asked and answers by rule."""

    def __init__(self, source: str = "eng", target: str = "fra") -> None:
        self.source_language, self.target_language, self.asked = source, target, []

    def top_phrases(self, text: str, k: int = 5, length_penalty: float = 0.0) -> list[tuple[str, float]]:
        self.asked.append(("top", text, k))
        return [(f"{text} #{i}", -float(i)) for i in range(k)]

    def samples(self, text: str, count: int = 50, temperature: float = 1.0, top: int = 5,
                seed: int = 0) -> list[tuple[str, int, float]]:
        self.asked.append(("samples", text, count, seed))
        return [(f"s{i}", top - i, -float(i)) for i in range(top)]


def test_the_paper_has_five_frequent_and_five_rare_phrases_as_in_table_2() -> None:
    assert [p.group for p in PAPER_PHRASES].count(FREQUENT) == 5 and [p.group for p in PAPER_PHRASES].count(RARE) == 5
    sources = {p.source: p for p in PAPER_PHRASES}
    assert sources["for the first time"].paper_top[0] == "pour la première fois"
    assert sources["at the end of the"].paper_samples == ("à la fin de la (×11)",)


def test_each_row_asks_the_model_for_its_phrase_and_puts_ours_beside_the_paper() -> None:
    model = Recorder()
    rows = compare_with_paper(model, top=3, samples=50, seed=7)
    assert [r["source"] for r in rows] == [p.source for p in PAPER_PHRASES]
    assert ("top", "one of the most", 3) in model.asked and ("samples", "one of the most", 50, 7) in model.asked
    first = rows[0]
    assert first["ours: top phrases"] == "at the end of the #0 | at the end of the #1 | at the end of the #2"
    assert first["ours: samples"] == "s0 (×3) | s1 (×2) | s2"  # drawn once: no (×1)
    assert first["paper: top phrases"].startswith("à la fin du")


def test_a_model_of_another_direction_is_refused_with_what_to_choose() -> None:
    with pytest.raises(ValueError, match="English -> French"):
        compare_with_paper(Recorder("fra", "eng"))
