"""The page catalog: keys, sections, files, and the lecture topics it maps."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ui import catalog

ROOT = Path(__file__).resolve().parents[2]


def test_keys_and_titles_are_unique() -> None:
    """No two pages share a key (url path) or a title (navigation label)."""
    keys = [spec.key for spec in catalog.PAGES]
    titles = [spec.title for spec in catalog.PAGES]
    assert len(set(keys)) == len(keys), keys
    assert len(set(titles)) == len(titles), titles


def test_keys_are_url_safe() -> None:
    """Keys become url paths: lowercase words joined by hyphens."""
    for spec in catalog.PAGES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", spec.key), spec.key


def test_sections_are_known() -> None:
    """Every page sits in one of SECTIONS."""
    for spec in catalog.PAGES:
        assert spec.section in catalog.SECTIONS, f"{spec.key}: unknown section {spec.section!r}"


def test_icons_are_material_icons() -> None:
    """Icons are ":material/name:" so they render offline, without emoji fonts."""
    for spec in catalog.PAGES:
        assert re.fullmatch(r":material/[a-z0-9_]+:", spec.icon), f"{spec.key}: {spec.icon!r}"


def test_summaries_are_one_line() -> None:
    """A summary is one short sentence: it has to fit one line on Home."""
    for spec in catalog.PAGES:
        assert spec.summary and "\n" not in spec.summary and len(spec.summary) <= 110, spec.key


def test_built_paths_exist_under_app_pages() -> None:
    """Every page that is turned on has its file, in app_pages/, relative to app.py."""
    for spec in catalog.built_pages():
        assert spec.path is not None
        assert spec.path.startswith("app_pages/") and spec.path.endswith(".py"), spec.path
        assert (ROOT / spec.path).is_file(), f"{spec.key}: {spec.path} does not exist"


def test_home_is_built_and_first() -> None:
    """Home is always on and is the first page (the default one)."""
    assert catalog.PAGES[0].key == "home"
    assert catalog.page("home").built


def test_no_pages_folder_beside_app() -> None:
    """A pages/ folder would make Streamlit run page files without app.py (no sidebar, no error boundary)."""
    assert not (ROOT / "pages").exists(), "page files belong in app_pages/, not pages/ (see ui/catalog.py)"


def test_every_topic_maps_to_known_pages() -> None:
    """Each lecture topic names at least one page, and only pages that exist in the catalog."""
    known = {spec.key for spec in catalog.PAGES}
    for topic, keys in catalog.LECTURE_TOPICS:
        assert keys, f"topic {topic!r} maps to no page"
        assert len(set(keys)) == len(keys), f"topic {topic!r} names a page twice"
        for key in keys:
            assert key in known, f"topic {topic!r} maps to unknown page {key!r}"
            assert key != "home", f"topic {topic!r} should map to a teaching page, not Home"


def test_every_teaching_page_serves_a_topic() -> None:
    """Every page except Home teaches at least one topic of the lecture."""
    taught = {key for _topic, keys in catalog.LECTURE_TOPICS for key in keys}
    for spec in catalog.PAGES:
        if spec.key != "home":
            assert spec.key in taught, f"{spec.key} teaches no lecture topic"


def test_topics_are_unique() -> None:
    """Each topic appears once."""
    topics = [topic for topic, _keys in catalog.LECTURE_TOPICS]
    assert len(set(topics)) == len(topics)


def _lecture_contents() -> list[str] | None:
    """Leaf items of the lecture's "Content List", or None when the lecture text is not at hand."""
    for base in (ROOT / "shared", ROOT.parent / "shared"):
        for path in sorted((base / "lecture").glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            if "# Content List" not in text:
                continue
            block = text.split("# Content List", 1)[1].split("\n#", 1)[0]
            items = [(len(m[1]), m[2].strip()) for m in re.finditer(r"^( *)- (?:✓ )?(.+)$", block, re.M)]
            return [name for i, (depth, name) in enumerate(items) if i + 1 == len(items) or items[i + 1][0] <= depth]
    return None


def test_topics_follow_the_lecture_contents_list() -> None:
    """LECTURE_TOPICS has one entry per item of the lecture's contents list, in the same order."""
    contents = _lecture_contents()
    if contents is None:
        pytest.skip("the lecture text (shared/lecture/*.txt) is not beside this checkout")
    topics = [topic for topic, _keys in catalog.LECTURE_TOPICS]
    assert len(topics) == len(contents), (topics, contents)
    for topic, item in zip(topics, contents):
        first_word = re.split(r"[\s\-–]+", item.lower())[0]
        assert first_word in topic.lower(), f"topic {topic!r} does not match lecture item {item!r}"


def test_pages_by_section_follows_section_order() -> None:
    """Navigation groups come in lecture order and hold only their own pages."""
    groups = catalog.pages_by_section(catalog.PAGES)
    assert list(groups) == [section for section in catalog.SECTIONS if section in groups]
    for section, specs in groups.items():
        assert all(spec.section == section for spec in specs)
    assert sum(len(specs) for specs in groups.values()) == len(catalog.PAGES)


def test_pages_by_section_defaults_to_built_pages() -> None:
    """Without an argument, only built pages are grouped."""
    grouped = [spec for specs in catalog.pages_by_section().values() for spec in specs]
    assert grouped == sorted(catalog.built_pages(), key=lambda s: catalog.SECTIONS.index(s.section))


def test_unknown_page_names_known_keys() -> None:
    """A typo in a key gives a message that lists the real keys."""
    with pytest.raises(KeyError, match="gradient-lab"):
        catalog.page("gradient-labb")


def test_catalog_does_not_import_streamlit() -> None:
    """The catalog is plain data: tools and tests read it without Streamlit."""
    code = "import sys, ui.catalog; sys.exit('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
