"""The stable command line of the appliance: options from flags, TOML and the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cylinder_scanner.cli import build_parser, options


def test_options_merge_flags_over_toml_over_environment(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CYLINDER_SCANNER_API_KEY", "ctk_from_env")
    cfg = tmp_path / "scale.toml"
    cfg.write_text('service = "https://ct.example.cn"\nscale = "/dev/ttyUSB1"\n'
                   'relay = "/dev/ttyUSB2"\nscanner = "/dev/ttyACM0"\nbaud = 115200\n')
    args = build_parser().parse_args(["run", "--config", str(cfg), "--scanner", "/dev/ttyS9"])
    o = options(args)
    assert o["api_key"] == "ctk_from_env" and o["service"] == "https://ct.example.cn"
    assert o["scanner"] == "/dev/ttyS9" and o["baud"] == 115200
    with pytest.raises(SystemExit, match="relay"):
        options(build_parser().parse_args(["run", "--service", "x", "--api-key", "k",
                                           "--scale", "/dev/a", "--scanner", "/dev/b"]))


def test_simulate_prints_the_pty_path() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "cylinder_scanner.cli", "simulate", "relay"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdin is not None
    path = proc.stdout.readline().strip()
    assert path.startswith("/dev/pts/") and os.path.exists(path)
    proc.stdin.close()
    assert proc.wait(timeout=10) == 0
