"""A Python client generated from the running service's /openapi.json, once per test session,
into a temporary directory (openapi-python-client, offline, no formatting hooks)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import LiveService

BIN = Path(sys.executable).parent
# How an integrator tells the generator that label images are bytes and SVG is text.
GENERATOR_CONFIG = """\
project_name_override: ct-client
package_name_override: ct_client
post_hooks: []
content_type_overrides:
  image/png: application/octet-stream
  application/pdf: application/octet-stream
  image/svg+xml: text/plain
"""


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
    spec = where / "openapi.json"
    spec.write_bytes(httpx.get(f"{live.url}/openapi.json", timeout=30).content)
    (where / "config.yml").write_text(GENERATOR_CONFIG)
    out = subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(spec),
         "--config", str(where / "config.yml"), "--output-path", str(where / "ct-client")],
        capture_output=True, text=True, timeout=300, check=False)
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
