"""What many AppTests check of a page."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def assert_clean(at: AppTest) -> None:
    """No exception, no error box."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
