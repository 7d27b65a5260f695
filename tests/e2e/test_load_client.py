"""bench/wsclient.py, the load bench's student, against the real app: it opens a page, types, reads the answer.

If Streamlit's protocol changes under the bench, these fail here instead of the bench printing only errors.
They also pin what issue 14 asks of Translate: the typed sentence reruns only its fragment.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.load import BOXES, _default_translator, protocol_check
from bench.wsclient import Session

TIMEOUT = 90.0


def in_own_loop(coroutine):
    """asyncio.run in a thread of its own (the test session's sync Playwright keeps a loop running in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _open_and_type(app_url: str, page: str, label: str, texts: list[str]) -> tuple[object, list[object], Session]:
    """Open `page` over the protocol, type each text into `label`; the opening run and each typed run."""
    session = Session(app_url, page)
    try:
        opened = await session.open(TIMEOUT)
        typed = [await session.type_into(label, text, TIMEOUT) for text in texts]
    finally:
        await session.close()
    return opened, typed, session


def test_a_protocol_student_reads_the_translation_it_typed(app_url: str) -> None:
    """Translate over the protocol: the heading is the model's own translation of each typed sentence."""
    sentences = ["je suis grand .", "il est petit ."]
    label = BOXES["translate"][0]
    opened, typed, session = in_own_loop(_open_and_type(app_url, "translate", label, sentences))
    assert opened.status == "finished" and label in session.boxes
    translator = _default_translator("fra", "eng")
    answers = [translator.translate(sentence).text for sentence in sentences]
    assert answers[0] != answers[1]
    for run, answer, other in zip(typed, answers, answers[::-1], strict=True):
        assert run.status == "finished"
        assert protocol_check("translate", run, answer)
        assert not protocol_check("translate", run, other)  # a wrong answer would be told apart


def test_typing_on_translate_reruns_only_its_fragment(app_url: str) -> None:
    """The sentence box sits in an st.fragment: typing redraws a part of the page, not all of it."""
    label = BOXES["translate"][0]
    opened, typed, session = in_own_loop(_open_and_type(app_url, "translate", label, ["je suis content ."]))
    assert session.boxes[label].fragment_id != ""
    assert 0 < len(typed[0].elements) < len(opened.elements)


def test_a_missing_box_is_named() -> None:
    """Typing into a box the page never drew says which boxes it did draw."""
    session = Session("http://127.0.0.1:1", "translate")
    with pytest.raises(LookupError, match="No such box"):
        in_own_loop(session.type_into("No such box", "x", 1.0))
