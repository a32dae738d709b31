"""The CF-RU5102 / UHFReader18 protocol against frames captured from real readers and other
people's drivers (tests/data/devices/rfid_vectors.json); answers of several frames; a reader
left in active mode."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import serial

from cylinder_scanner.protocols import rfid_uhf
from cylinder_scanner.sim.devices import RfidSim
from cylinder_scanner.sources.rfid import RfidReader

V = json.loads((Path(__file__).resolve().parents[1] / "data" / "devices" /
                "rfid_vectors.json").read_text())


def test_the_crc_is_crc16_mcrf4xx() -> None:
    check = V["crc_check"]
    assert f"{rfid_uhf.crc16_mcrf4xx(check['data_ascii'].encode()):04x}" == check["crc"]


@pytest.mark.parametrize("v", V["commands"], ids=[v["frame"] for v in V["commands"]])
def test_command_frames_byte_for_byte(v: dict[str, object]) -> None:
    frame = rfid_uhf.command(int(v["adr"]), int(v["cmd"]),  # type: ignore[call-overload]
                             bytes.fromhex(str(v["data"])))
    assert frame.hex() == v["frame"]


@pytest.mark.parametrize("v", V["responses"], ids=[v["frame"] for v in V["responses"]])
def test_response_frames_of_real_readers(v: dict[str, object]) -> None:
    raw = bytes.fromhex(str(v["frame"]))
    for framer_input in ([raw], [raw[:3], raw[3:]], [b"\x07\x99", raw]):  # whole, split, noise
        framer = rfid_uhf.ResponseFramer()
        responses = [r for chunk in framer_input for r in framer.feed(chunk)]
        assert len(responses) == 1 and responses[0].command == v["command"]
        assert rfid_uhf.tags_of(responses[0]) == v["tags"]


def test_a_bad_checksum_and_a_heartbeat_make_no_frame_and_do_not_stall() -> None:
    framer = rfid_uhf.ResponseFramer()
    assert framer.feed(bytes.fromhex(V["rejected"][0]["frame"])) == []
    assert framer.feed(bytes.fromhex(V["heartbeat"]["frame"])) == []  # 0x56: a length of 86
    after = bytes.fromhex(V["responses"][0]["frame"])
    (response,) = framer.feed(after)
    assert rfid_uhf.tags_of(response) == V["responses"][0]["tags"]


EPCS = ["E28011606000020A1B2C3D4E", "000000000000000000000313", "49440000000000000A000334"]


def test_an_answer_of_several_frames_is_read_to_its_last_frame() -> None:
    frames = rfid_uhf.inventory_response(0, EPCS, per_frame=1)
    statuses = [r.status for r in rfid_uhf.ResponseFramer().feed(frames)]
    assert statuses == [rfid_uhf.STATUS_MORE, rfid_uhf.STATUS_MORE, rfid_uhf.STATUS_DONE]
    with RfidSim(per_frame=1) as sim:
        sim.present(EPCS)
        reader = RfidReader(lambda: serial.Serial(sim.path, 57600, timeout=0.1))
        assert reader._inventory() == EPCS  # every frame's tags, not the first frame's only
        got = {read.text for read in iter(lambda: reader.read(0.5), None)}
        assert got == set(EPCS)
        reader.close()


def test_a_reader_in_active_mode_is_named_not_misread(caplog: pytest.LogCaptureFixture) -> None:
    with RfidSim() as sim:
        sim.present(EPCS[0])
        sim.active = True
        reader = RfidReader(lambda: serial.Serial(sim.path, 57600, timeout=0.1))
        with caplog.at_level(logging.ERROR):
            assert reader.read(0.8) is None
        assert reader.active_mode
        assert "switch it to answer mode" in caplog.text
        assert caplog.text.count("active (scan) mode") == 1  # said once, not every poll
        sim.active = False
        read = reader.read(1)
        assert read is not None and read.text == EPCS[0]
        reader.close()
