"""Vocabulary, Unicode clean-up and caps."""

from __future__ import annotations

import pytest

from rnnviz.data.text import UNK, Vocabulary, cap_text, clean_unicode


def test_vocabulary_orders_by_frequency_and_maps_unknowns_to_unk():
    vocabulary = Vocabulary.build([["b", "a", "b"], ["c", "b", "a"]])
    assert vocabulary.tokens[4:] == ["b", "a", "c"]
    assert vocabulary.encode(["a", "zebra"]) == [vocabulary.id("a"), vocabulary.unk_id]
    assert vocabulary.decode(vocabulary.encode(["c", "b"])) == ["c", "b"]
    assert vocabulary.decode([999, -1]) == [UNK, UNK]
    assert vocabulary.unknown(["a", "🙂"]) == [False, True]


def test_min_count_and_max_size():
    sequences = [["x"] * 3 + ["y"] * 2 + ["z"]]
    assert Vocabulary.build(sequences, min_count=2).tokens[4:] == ["x", "y"]
    assert len(Vocabulary.build(sequences, max_size=5)) == 5


def test_json_round_trip_and_bad_data():
    vocabulary = Vocabulary.build([list("hello")], specials=(UNK,))
    again = Vocabulary.from_json(vocabulary.to_json())
    assert again.tokens == vocabulary.tokens and again.specials == (UNK,)
    with pytest.raises(ValueError, match="tokens"):
        Vocabulary.from_json({"words": []})
    with pytest.raises(ValueError, match="<unk>"):
        Vocabulary(["a"], specials=())


def test_clean_unicode_and_cap():
    assert clean_unicode("Va\u202f!\u00a0ok") == "Va ! ok"
    assert clean_unicode("ﬁn") == "fin"
    assert cap_text("abcdef", 4) == ("abcd", True)
    assert cap_text("abc", 4) == ("abc", False)
