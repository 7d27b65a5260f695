"""Home's outline: neighbouring topics taught by the same pages share one row."""

from __future__ import annotations

from ui import catalog
from ui.home import topic_rows


def test_rows_keep_every_topic_in_lecture_order() -> None:
    """Flattening the rows gives back the lecture's topics, numbered 1..n."""
    rows = topic_rows()
    assert [t for row in rows for t in row.topics] == [topic for topic, _keys in catalog.LECTURE_TOPICS]
    assert [n for row in rows for n in row.numbers] == list(range(1, len(catalog.LECTURE_TOPICS) + 1))


def test_neighbours_with_the_same_pages_merge() -> None:
    """Consecutive topics with equal page lists merge; others stay apart."""
    topics = (("A", ("x",)), ("B", ("x",)), ("C", ("y",)), ("D", ("x",)))
    rows = topic_rows(topics)
    assert [row.label for row in rows] == ["1–2. A · B", "3. C", "4. D"]
    assert [row.keys for row in rows] == [("x",), ("y",), ("x",)]
