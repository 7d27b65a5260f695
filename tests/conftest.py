"""Shared test settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """One intra-op thread, as the app's server uses: tiny models run fastest and steadiest so."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian chromium through Playwright, one per test run: a second sync Playwright in the same
    process fails ("Sync API inside the asyncio loop"), so e2e and integration tests share this one."""
    from tests.e2e import browser as br

    executable = br.chromium_path()
    if executable is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=br.CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
