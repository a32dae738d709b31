"""A Python client generated from the running service's /openapi.json, once per test session,
into a temporary directory (openapi-python-client, offline, no formatting hooks)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.live import LiveService

BIN = Path(sys.executable).parent
GUIDE = ROOT / "docs" / "integrators.md"
# The command the guide shows; the suite runs it as shown, with the guide's client.yml.
GENERATE = 'openapi-python-client generate --url "$CT/openapi.json" --config client.yml'


def fenced(path: Path) -> list[tuple[str, str]]:
    """The fenced code blocks of a Markdown file: (language, text)."""
    return [(m.group(1), m.group(2)) for m in
            re.finditer(r"^```(\w*)\n(.*?)^```$", path.read_text(), re.DOTALL | re.MULTILINE)]


@pytest.fixture(scope="session")
def live(database_url: str) -> Iterator[LiveService]:
    service = LiveService(database_url)
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def generated(live: LiveService, tmp_path_factory: Any) -> Path:
    """The directory holding the generated package `ct_client`."""
    where = tmp_path_factory.mktemp("client")
    (where / "client.yml").write_text(next(t for lang, t in fenced(GUIDE) if lang == "yaml"))
    assert GENERATE in GUIDE.read_text().replace("\n", " ")
    env = {**os.environ, "CT": live.url, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    out = subprocess.run(["bash", "-c", GENERATE], cwd=where, env=env, capture_output=True,
                         text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    package = where / "ct-client"
    assert (package / "ct_client" / "api" / "filling" / "authorize_fill.py").exists()
    return package


def mypy_strict(where: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    config = where / "mypy.ini"
    config.write_text("[mypy]\n")  # hermetic: not the repository's settings
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", str(config),
         "--cache-dir", str(where / ".mypy_cache"), *targets],
        cwd=where, capture_output=True, text=True, timeout=300, check=False)
