"""The pages of rnnviz and the lecture topics they teach: the single source of truth.

To turn a page on, put its file in app_pages/ and set its ``path=`` below (relative to app.py).
No Streamlit here: the catalog is plain data that tests and tools can read.

Page files live in app_pages/, never in a folder named pages/: Streamlit treats a pages/
folder beside app.py as an old-style multipage app and, until some session has run
st.navigation, serves a page URL by running that file alone, with no sidebar and no error
boundary (tests/unit/test_catalog.py guards this).
"""

from __future__ import annotations

from dataclasses import dataclass

SECTIONS: tuple[str, ...] = ("Foundations", "Cells", "Sequence to sequence", "Papers", "Lab")


@dataclass(frozen=True)
class PageSpec:
    """One page of the app: how it is named, where it sits, and its file once built."""

    key: str  # url path and id, e.g. "gradient-lab"
    title: str  # shown in the navigation, e.g. "Gradient lab"
    icon: str  # a ":material/name:" icon
    section: str  # one of SECTIONS
    summary: str  # one line: what the page lets a person do
    path: str | None  # "app_pages/gradient_lab.py", or None while the page is not built yet

    @property
    def built(self) -> bool:
        """Whether the page has a file and shows up in the navigation."""
        return self.path is not None


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        key="home",
        title="Home",
        icon=":material/home:",
        section="Foundations",
        summary="The lecture's contents mapped to the pages that teach each topic.",
        path="app_pages/home.py",
    ),
    PageSpec(
        key="unrolled",
        title="Unrolled graph",
        icon=":material/account_tree:",
        section="Foundations",
        summary="Unroll an RNN over a sequence, see the I/O types, and follow BPTT with real numbers.",
        path="app_pages/unrolled.py",
    ),
    PageSpec(
        key="gradient-lab",
        title="Gradient lab",
        icon=":material/trending_down:",
        section="Foundations",
        summary="Train live and watch gradients vanish or explode; try clipping, identity init, truncated BPTT.",
        path="app_pages/gradient_lab.py",
    ),
    PageSpec(
        key="inside-cell",
        title="Inside the cell",
        icon=":material/memory:",
        section="Cells",
        summary="Type a sentence and watch the gates of LSTM, GRU and SRU cells open and close.",
        path="app_pages/inside_cell.py",
    ),
    PageSpec(
        key="compare-cells",
        title="Compare cells",
        icon=":material/compare_arrows:",
        section="Cells",
        summary="Run one task through RNN, LSTM, GRU and SRU side by side, with more layers or both directions.",
        path="app_pages/compare_cells.py",
    ),
    PageSpec(
        key="translate",
        title="Translate and attend",
        icon=":material/translate:",
        section="Sequence to sequence",
        summary="Type a sentence, translate it with an encoder–decoder, and see where attention looks.",
        path="app_pages/translate.py",
    ),
    PageSpec(
        key="smt-paper",
        title="Phrase scoring",
        icon=":material/article:",
        section="Papers",
        summary="Score phrase pairs with an RNN encoder–decoder, as Cho et al. (2014) did for SMT.",
        path="app_pages/phrase_scoring.py",
    ),
    PageSpec(
        key="signatures",
        title="Signature verification",
        icon=":material/draw:",
        section="Papers",
        summary="Verify on-line signatures from SVC2004 with a Siamese RNN and read its error trade-off.",
        path="app_pages/signatures.py",
    ),
    PageSpec(
        key="embeddings",
        title="Embeddings",
        icon=":material/scatter_plot:",
        section="Lab",
        summary="Explore learned word and phrase embeddings in a t-SNE map.",
        path="app_pages/embeddings.py",
    ),
)

# Each topic of the lecture's contents list, in lecture order -> the pages that teach it.
LECTURE_TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Introduction", ("unrolled",)),
    ("RNN structure", ("unrolled",)),
    ("Types", ("unrolled",)),
    ("Backpropagation through time", ("unrolled", "gradient-lab")),
    ("Vanishing and exploding gradients", ("gradient-lab",)),
    ("LSTM", ("inside-cell", "compare-cells")),
    ("GRU", ("inside-cell", "compare-cells")),
    ("SRU", ("inside-cell", "compare-cells")),
    ("Multilayer", ("compare-cells",)),
    ("Bidirectional", ("compare-cells",)),
    ("Encoder–Decoder", ("translate",)),
    ("Attention", ("translate",)),
    ("Papers: SMT", ("smt-paper", "embeddings")),
    ("Papers: Biometrics", ("signatures",)),
    ("Tutorial", ("translate",)),
    ("Homework", ("compare-cells", "translate")),
)

_BY_KEY: dict[str, PageSpec] = {spec.key: spec for spec in PAGES}


def page(key: str) -> PageSpec:
    """The page with this key; KeyError names the known keys if there is none."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown page {key!r}; known pages: {', '.join(_BY_KEY)}") from None


def built_pages() -> tuple[PageSpec, ...]:
    """The pages that have a file, in catalog order."""
    return tuple(spec for spec in PAGES if spec.built)


def pages_by_section(pages: tuple[PageSpec, ...] | None = None) -> dict[str, list[PageSpec]]:
    """Pages grouped by section, sections in lecture order, empty sections left out."""
    pages = built_pages() if pages is None else pages
    groups: dict[str, list[PageSpec]] = {}
    for section in SECTIONS:
        members = [spec for spec in pages if spec.section == section]
        if members:
            groups[section] = members
    return groups
