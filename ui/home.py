"""Home page body: the lecture's contents list mapped to the pages that teach each topic."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui import catalog

INTRO = (
    "Small recurrent networks, trained and run live on this computer, "
    "drawn the way the slides can only sketch them."
)
HOW_TO = (
    "**In a lecture:** follow the contents below and open the page for the topic on the slide. "
    "The **seed** in the sidebar makes every run repeatable, so a demo can be rehearsed."
)
LINK_WIDTH = 260  # px: wide enough for the longest page title on one line


@dataclass(frozen=True)
class TopicRow:
    """Consecutive lecture topics that are taught by the same pages."""

    numbers: tuple[int, ...]
    topics: tuple[str, ...]
    keys: tuple[str, ...]

    @property
    def label(self) -> str:
        """"1–3. Introduction · RNN structure · Types" or "5. Vanishing and exploding gradients"."""
        first, last = self.numbers[0], self.numbers[-1]
        number = f"{first}" if first == last else f"{first}–{last}"
        return f"{number}. " + " · ".join(self.topics)


def topic_rows(topics: tuple[tuple[str, tuple[str, ...]], ...] = catalog.LECTURE_TOPICS) -> list[TopicRow]:
    """Lecture topics in order, neighbours that share the same pages merged into one row."""
    rows: list[TopicRow] = []
    for number, (topic, keys) in enumerate(topics, start=1):
        if rows and rows[-1].keys == keys:
            last = rows.pop()
            rows.append(TopicRow(last.numbers + (number,), last.topics + (topic,), keys))
        else:
            rows.append(TopicRow((number,), (topic,), keys))
    return rows


def page_entry(spec: catalog.PageSpec, describe: bool) -> None:
    """A link to a built page, or its title marked "coming"; its summary the first time it appears."""
    with st.container(horizontal=True, wrap=False, vertical_alignment="center", gap="small"):
        if spec.built:
            assert spec.path is not None
            st.page_link(spec.path, label=f":primary[**{spec.title}**]", icon=spec.icon, help=spec.summary, width=LINK_WIDTH)
        else:
            st.markdown(f":gray[{spec.icon} {spec.title}] :gray-badge[coming]", width=LINK_WIDTH)
        if describe:
            st.markdown(spec.summary, width="stretch")


def render_row(row: TopicRow, seen: set[str]) -> None:
    """One row: the lecture topics as a heading line, the pages that teach them below it."""
    st.markdown(f"**{row.label}**")
    with st.container(gap=None):
        for key in row.keys:
            page_entry(catalog.page(key), describe=key not in seen)
            seen.add(key)


def render() -> None:
    """The whole Home page."""
    st.title("rnnviz", anchor=False)
    st.markdown(INTRO)
    st.markdown(HOW_TO)
    st.subheader("The lecture, topic by topic", divider="gray", anchor=False)
    seen: set[str] = set()
    for row in topic_rows():
        render_row(row, seen)
