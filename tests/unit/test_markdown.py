"""One escaper for user text in Markdown: whatever is typed renders as the same characters, never as markup."""

from __future__ import annotations

import string

import pytest
from markdown_it import MarkdownIt

from ui.markdown import escape

HOSTILE = ["<script>alert(1)</script>", "**bold** _it_ `code`", "[link](http://example.com)", "# heading",
           "| a | b |", "$x^2$ and $$y$$", ":smile: :material/home:", "1. item", "- item", "&amp; &lt;",
           "x = 'a' \"b\"", "~~gone~~", "\\*", "emoji 🙂 ok", string.punctuation]


@pytest.mark.parametrize("text", HOSTILE)
def test_typed_text_renders_as_itself(text: str) -> None:
    """CommonMark renders the escaped text as one paragraph holding exactly the typed characters."""
    html = MarkdownIt("commonmark").render(escape(text))
    expected = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert html == f"<p>{expected}</p>\n"


def test_letters_digits_and_spaces_are_left_alone() -> None:
    """Only punctuation gets a backslash: readable sentences stay readable."""
    assert escape("je suis 12 fois plus grand") == "je suis 12 fois plus grand"
    assert escape("a.b") == r"a\.b" and escape("$") == r"\$"


@pytest.mark.parametrize("count,expected", [(0, "0 steps"), (1, "1 step"), (2, "2 steps"), (1500, "1,500 steps")])
def test_plural_agrees_with_its_count(count: int, expected: str) -> None:
    from ui.markdown import plural

    assert plural(count, "step") == expected
    assert plural(count, "child", "children").endswith("child" if count == 1 else "children")
