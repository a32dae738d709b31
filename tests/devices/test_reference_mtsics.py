"""The MT-SICS scale against answer lines of real balances and other people's drivers
(tests/data/devices/mtsics_vectors.json), an indicator already streaming, and the per-port serial
settings of the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import serial

from cylinder_scanner.cli import build_parser, options, port_settings
from cylinder_scanner.protocols import mtsics
from cylinder_scanner.scale import MtSicsScale
from cylinder_scanner.sim.devices import ScaleSim
from cylinder_scanner.types import DeviceError, Weight

LINES = json.loads((Path(__file__).resolve().parents[1] / "data" / "devices" /
                    "mtsics_vectors.json").read_text())["lines"]


@pytest.mark.parametrize("v", LINES, ids=[v["line"] for v in LINES])
def test_mtsics_answer_lines(v: dict[str, Any]) -> None:
    if v["expect"] == "weight":
        w = mtsics.parse_weight(v["line"])
        assert w.kg == pytest.approx(v["kg"]) and w.stable is v["stable"]
    elif v["expect"] == "error":
        with pytest.raises(DeviceError):
            mtsics.parse_weight(v["line"])
    else:  # not-misread: a unit or layout we do not speak never becomes kilograms
        try:
            w = mtsics.parse_weight(v["line"])
        except DeviceError:
            return
        assert not isinstance(w, Weight) or w.kg != pytest.approx(v["kg"])


@pytest.mark.parametrize("line, name", [
    ("ES", "syntax error"), ("ET", "transmission error"), ("EL", "logical error"),
    ("S L", "not executable (bad parameter)"), ("S I", "busy"), ("S +", "overload"),
    ("S -", "underload"), ("S S    Error 10b", "weighing-module error 10b"),
])
def test_error_answers_are_named(line: str, name: str) -> None:
    with pytest.raises(DeviceError, match=name.replace("(", r"\(").replace(")", r"\)")):
        mtsics.parse_weight(line)


def port(path: str) -> serial.Serial:
    return serial.Serial(path, 9600, timeout=0.1)


def test_a_streaming_indicator_is_read_from_the_next_line_boundary() -> None:
    with ScaleSim(14.852) as sim:
        sim.streaming = True
        scale = MtSicsScale(port(sim.path))
        for _ in range(3):
            w = scale.read_weight()
            assert w.kg == pytest.approx(14.852) and w.stable
        sim.answer = b"ES\r\n"
        with pytest.raises(DeviceError, match="syntax error"):
            scale.read_weight()  # a whole error line after the tail is still an error
        scale.close()


def test_every_port_has_its_own_baud_and_flow_control(tmp_path: Path) -> None:
    cfg = tmp_path / "scale.toml"
    cfg.write_text('service = "x"\napi-key = "k"\nscale = "/dev/a"\nrelay = "/dev/b"\n'
                   'scanner = "/dev/c"\nrfid = "/dev/d"\nscale-flow = "xonxoff"\n')
    o = options(build_parser().parse_args(["run", "--config", str(cfg), "--baud", "19200",
                                           "--relay-baud", "38400", "--scanner-flow", "rtscts"]))
    assert port_settings(o, "scale") == {"baudrate": 19200, "xonxoff": True, "rtscts": False,
                                         "timeout": 0.1}
    assert port_settings(o, "relay")["baudrate"] == 38400
    scanner = port_settings(o, "scanner")
    assert scanner["rtscts"] and scanner["baudrate"] == 19200
    assert port_settings(o, "rfid")["baudrate"] == 57600  # the reader's own factory setting
    plain = options(build_parser().parse_args([
        "run", "--service", "x", "--api-key", "k", "--scale", "/a", "--relay", "/b",
        "--scanner", "/c"]))
    assert port_settings(plain, "scale") == {"baudrate": 9600, "xonxoff": False, "rtscts": False,
                                             "timeout": 0.1}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--scale-flow", "dtr"])
