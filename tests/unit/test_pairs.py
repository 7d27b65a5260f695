"""Sentence pairs: the tutorial's normalisation and filter, reading files and uploads, splits, vocabularies."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from rnnviz.data.pairs import (
    ENG_PREFIXES,
    date_data,
    keep_tutorial_pair,
    languages_from_name,
    load_pairs,
    make_batch,
    may_start_with_prefix,
    normalize,
    normalize_tutorial,
    normalize_tutorial_many,
    normalize_unicode,
    prepare_pairs,
    read_pairs,
    split_indices,
)

DATA = Path(os.environ.get("RNNVIZ_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")) / "eng-fra.txt"
needs_corpus = pytest.mark.skipif(not DATA.is_file(), reason=f"the Tatoeba eng-fra.txt corpus is not at {DATA} "
                                  "(see shared/data/SOURCES.md); set RNNVIZ_DATA to its folder")

TRICKY = [
    "Go.", "Va !", "Ça va\u202f?", "Je suis\u00a0prêt.", "I'm 25 years old.", "İstanbul", "cœur", "«\u00a0Oui\u00a0»",
    "  spaced  out  ", "<script>alert(1)</script>", "emoji 🙂 here!", "naïve café", "Don't!", "", "x\u0301y",
    "ǅungla", "Straße", "He isn't here.", "?!", "...",
]


def test_tutorial_normalisation_matches_the_lecture_code():
    assert normalize_tutorial("Ça va\u202f?") == "ca va ?"
    assert normalize_tutorial("I'm 25 years old.") == "i m years old ."
    assert normalize_tutorial("<script>alert(1)</script>") == " script alert script "
    assert normalize_tutorial("Je suis prêt.") == "je suis pret ."


def test_the_bulk_normalisation_equals_the_one_by_one_code():
    assert normalize_tutorial_many(TRICKY) == [normalize_tutorial(text) for text in TRICKY]
    assert normalize_tutorial_many(["two\nlines", "ok"]) == [normalize_tutorial("two\nlines"), "ok"]


def test_the_tutorial_filter_keeps_exactly_the_pairs_it_should():
    lines = [
        ("I am cold.", "J'ai froid."),  # kept: "i am "
        ("I'm fine.", "Ça va."),  # kept: "i m "
        ("He's here.", "Il est là."),  # kept: "he s "
        ("He isn't here.", "Il n'est pas là."),  # kept: "he is" has no trailing space in the tutorial
        ("They're late!", "Ils sont en retard !"),  # kept
        ("You are nine words long in this long sentence.", "Tu es ..."),  # 9 words + " ." = 10 tokens: dropped
        ("You are eight words long in this sentence.", "Tu es là."),  # 8 words + " ." = 9 tokens: kept
        ("Go.", "Va !"),  # no prefix: dropped
        ("Iam cold.", "J'ai froid."),  # no space: dropped
        ("We are fine.", "Nous allons bien et nous sommes très très heureux ici."),  # French too long: dropped
        ("she is tall.", "Elle est grande."),  # kept
        ("I'am here.", "Je suis là."),  # "i am here ." kept (apostrophe becomes a space)
    ]
    kept = [keep_tutorial_pair(normalize_tutorial(e), normalize_tutorial(f)) for e, f in lines]
    assert kept == [True, True, True, True, True, False, True, False, False, False, True, True]
    assert len(ENG_PREFIXES) == 12


@pytest.mark.parametrize("english", [
    "I am cold.", "  he is here", "\u00a0She's tall.", "İ am here", "Ímagine", "\"I am\"", "...", "", "Go.", "1 am",
    "Yes.", "What?", "Come in.", "Tom is here.", "they're late", "\u0130 m ok"])
def test_the_cheap_pre_filter_only_drops_what_the_tutorial_filter_drops(english):
    if keep_tutorial_pair(normalize_tutorial(english), "court"):
        assert may_start_with_prefix(english)
    if english in ("Go.", "Come in.", "1 am", "...", "", "\"I am\""):
        assert not may_start_with_prefix(english)  # it does save work


def test_prepare_pairs_filters_on_english_in_both_directions_and_splits_the_same_pairs():
    raw = [(f"I am number {word}.", f"Je suis le numéro {word}.") for word in "abcdefghijklmnopqrst"] + [("Go.", "Va !")]
    forward = prepare_pairs(raw, source="fra", target="eng", columns=("eng", "fra"), tutorial_filter=True,
                            test=4, validation=2)
    backward = prepare_pairs(raw, source="eng", target="fra", columns=("eng", "fra"), tutorial_filter=True,
                             test=4, validation=2)
    assert forward.info["pairs"] == backward.info["pairs"] == 20
    assert forward.test == [(b, a) for a, b in backward.test]
    assert forward.train[0][0].startswith("je suis") and backward.train[0][0].startswith("i am")
    assert "va" not in forward.source_vocab
    with pytest.raises(ValueError, match="columns"):
        prepare_pairs(raw, source="deu", target="eng", columns=("eng", "fra"))


def test_vocabulary_comes_from_the_training_split_only():
    raw = [(f"I am {i}x{chr(97 + i % 26)}.", f"Je suis w{i}.") for i in range(40)]
    data = prepare_pairs(raw, source="fra", target="eng", columns=("eng", "fra"), preparation="unicode",
                         test=8, validation=4)
    train_words = {w for s, _ in data.train for w in s.split()}
    held_out = {w for s, _ in data.test for w in s.split()} - train_words
    assert held_out and not any(w in data.source_vocab for w in held_out)
    assert data.info["split"] == {"train": 28, "validation": 4, "test": 8}


def test_split_is_deterministic_and_disjoint():
    train, validation, test = split_indices(100, 10, 5, seed=3)
    assert (train, validation, test) == split_indices(100, 10, 5, seed=3)
    assert sorted(train + validation + test) == list(range(100)) and len(test) == 10 and len(validation) == 5
    assert split_indices(100, 10, 5, seed=4)[2] != test


def test_reading_a_path_an_upload_and_bad_files(tmp_path):
    path = tmp_path / "eng-fra.txt"
    path.write_text("Go.\tVa !\tCC-BY 2.0 (France) Attribution\nRun!\tCours\u202f!\n\nno tab here\n", encoding="utf-8")
    pairs, name, digest = read_pairs(path)
    assert pairs == [("Go.", "Va !"), ("Run!", "Cours\u202f!")] and name == "eng-fra.txt" and len(digest) == 64
    upload = io.BytesIO(path.read_bytes())
    upload.name = "eng-fra.txt"
    assert read_pairs(upload)[0] == pairs
    assert languages_from_name("spa.txt") == ("eng", "spa") and languages_from_name("deu-eng.tsv") == ("deu", "eng")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9\tx\n".encode("latin-1"))
    with pytest.raises(ValueError, match="UTF-8"):
        read_pairs(bad)
    with pytest.raises(ValueError, match="no pairs file"):
        read_pairs(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("just text\n")
    with pytest.raises(ValueError, match="TAB"):
        read_pairs(tmp_path / "empty.txt")


def test_unicode_preparation_keeps_accents_digits_and_splits_punctuation():
    assert normalize_unicode("J'ai 25 ans\u202f!") == "j'ai 25 ans !"
    assert normalize_unicode("L’homme, «\u00a0oui\u00a0».") == "l'homme , « oui » ."
    assert normalize("Tuesday  25 Nov 2026 ", "dates") == "tuesday 25 nov 2026"


def test_date_task_as_character_pairs():
    data = date_data(300, test=20, validation=10)
    assert data.tokens == "chars" and data.info["source_language"] == "date"
    _source, target = data.train[0]
    assert len(target) == 10 and target[4] == "-"
    batch = make_batch(data.train[:3], data.source_vocab, data.target_vocab, "chars")
    assert batch.target_out.shape == (3, 11)


@needs_corpus
def test_the_tutorial_filter_on_the_real_corpus_keeps_10599_pairs():
    data = load_pairs(DATA, source_language="fra", target_language="eng", tutorial_filter=True)
    assert data.info["lines"] == 135_842 and data.info["pairs"] == 10_599
    assert data.info["split"] == {"train": 9_099, "validation": 500, "test": 1_000}
    assert len(data.source_vocab) > 3_500 and len(data.target_vocab) > 2_000


def test_too_few_pairs_after_the_tutorial_filter_names_the_filter_and_how_to_turn_it_off():
    raw = [(f"the cat number {i} sleeps .", f"le chat numéro {i} dort .") for i in range(50)]
    with pytest.raises(ValueError) as caught:
        prepare_pairs(raw, source="fra", target="eng", columns=("eng", "fra"), tutorial_filter=True)
    message = str(caught.value)
    assert "only 0 of the file's 50 pairs pass the tutorial's filter" in message
    assert "'i am'" in message and "turn the tutorial's filter off" in message
    data = prepare_pairs(raw, source="fra", target="eng", columns=("eng", "fra"), tutorial_filter=False, test=5,
                         validation=5)
    assert data.info["pairs"] == 50  # what the message advises works


def test_too_few_pairs_after_the_tutorial_normalisation_says_which_letters_it_keeps():
    raw = [*[("i am שלום", "אני שלום")] * 12, *[("i am here", "je suis là")] * 5]
    with pytest.raises(ValueError) as caught:
        prepare_pairs(raw, source="eng", target="fra", columns=("eng", "fra"), preparation="tutorial")
    message = str(caught.value)
    assert "only 5 of the file's 17 pairs still have words on both sides after the tutorial normalisation" in message
    assert "a–z" in message
    with pytest.raises(ValueError, match="the file has only 3 pairs"):
        prepare_pairs(raw[:3], source="eng", target="fra", columns=("eng", "fra"))
