"""Browser-test screenshots go to artifacts/ only; docs/screenshots/ changes only with RNNVIZ_README_SCREENSHOTS=1.

No browser runs here: a stand-in page writes a few bytes where Playwright would write a PNG.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import pytest

from tests.e2e import browser as br

E2E = Path(br.__file__).parent


class FakePage:
    """The part of a Playwright page that `save_screenshot` uses."""

    viewport_size: ClassVar[dict[str, int]] = {"width": 1280, "height": 800}

    def screenshot(self, path: str) -> None:
        """Write a stand-in picture."""
        Path(path).write_bytes(b"\x89PNG fake")


@pytest.fixture()
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(artifacts, docs) screenshot folders moved under tmp_path; the switch unset."""
    artifacts, docs = tmp_path / "artifacts" / "screenshots", tmp_path / "docs" / "screenshots"
    monkeypatch.setattr(br, "SCREENSHOTS", artifacts)
    monkeypatch.setattr(br, "README_SCREENSHOTS", docs)
    monkeypatch.delenv(br.README_SWITCH, raising=False)
    return artifacts, docs


def test_a_test_run_writes_artifacts_and_leaves_the_readme_pictures_alone(folders, monkeypatch) -> None:
    """Without the switch (or with it set to anything but 1), nothing is written under docs/."""
    artifacts, docs = folders
    for value in (None, "0", "yes"):
        if value is not None:
            monkeypatch.setenv(br.README_SWITCH, value)
        shot = br.save_screenshot(FakePage(), "translate", readme="translate.png")
        assert shot == artifacts / "translate.png" and shot.read_bytes() == b"\x89PNG fake"
        assert br.publish_for_readme(shot, "translate.png") is None
        assert not docs.exists()


def test_the_switch_refreshes_the_readme_picture(folders, monkeypatch) -> None:
    """RNNVIZ_README_SCREENSHOTS=1 copies the artifact to docs/screenshots/<readme>; other shots stay out."""
    artifacts, docs = folders
    monkeypatch.setenv(br.README_SWITCH, "1")
    br.save_screenshot(FakePage(), "home-full")
    assert not docs.exists()
    shot = br.save_screenshot(FakePage(), "translate", readme="translate.png")
    assert (docs / "translate.png").read_bytes() == shot.read_bytes()
    assert sorted(p.name for p in artifacts.iterdir()) == ["home-full.png", "translate.png"]


def test_browser_tests_reach_docs_only_through_the_helper() -> None:
    """No e2e test names docs/ or writes a screenshot path of its own outside artifacts/."""
    for path in sorted(E2E.glob("test_*.py")):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"""["']docs["']|docs/|shutil\.copy|README_SCREENSHOTS""", source), path.name
