"""The one escaper for user text shown through Markdown (typed sentences, file names, error messages)."""

from __future__ import annotations

import re

# Every character that can start markup in Streamlit's Markdown: emphasis, code, links, headings,
# lists, tables, HTML tags and entities, emoji and icon shortcodes (:name:), colour spans, LaTeX ($).
# A backslash makes each literal (CommonMark); harmless punctuation (, ; ? % @ /) stays readable.
_MARKUP = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$&\"'=])")


def escape(text: str) -> str:
    """`text` as plain characters inside Markdown: no markup, link, HTML or LaTeX takes effect."""
    return _MARKUP.sub(r"\\\1", str(text))


def plural(count: int, singular: str, plural_form: str = "") -> str:
    """`count` with its noun agreeing: '1 step', '0 steps', '1,500 steps' ('1 child', '2 children' with plural_form)."""
    noun = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count:,} {noun}"
