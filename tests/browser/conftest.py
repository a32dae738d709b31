"""Browser tests: Playwright (Python) driving the Debian `chromium` package headless against the
real service on a socket. No browser download: `make test` installs the package where it can
(root with apt-get); where no Chromium exists the tests skip and say why."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import LiveService

ROOT = Path(__file__).resolve().parents[2]
# screenshots the tests keep (CI artifacts); docs/screenshots holds a copy for the README
ARTIFACTS = Path(os.environ.get("CT_ARTIFACTS", ROOT / "tests" / "artifacts"))
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def pw() -> Iterator[Any]:
    """Playwright itself; each test module launches the Chromium it needs (flags differ)."""
    if chromium_path() is None:
        pytest.skip("no Chromium: install Debian's `chromium` package (make test does so as "
                    "root) to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - it is a dev dependency
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        yield p


def launch(pw: Any, *extra: str) -> Any:
    return pw.chromium.launch(executable_path=chromium_path(), headless=True,
                              args=[*FLAGS, *extra])


@pytest.fixture(scope="session")
def browser(pw: Any) -> Iterator[Any]:
    b = launch(pw)
    yield b
    b.close()


@pytest.fixture
def live(client: Any, database_url: str) -> Iterator[LiveService]:
    """The service on a socket, over empty tables (the `client` fixture empties them)."""
    service = LiveService(database_url)
    service.start()
    yield service
    service.stop()


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
