"""The CF-RU5102 / UHFReader18 protocol against frames captured from real readers and other
people's drivers (tests/data/devices/rfid_vectors.json); answers of several frames; a reader
left in active mode."""

from __future__ import annotations

import json
import logging
import time
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
        # Waits that end when the answer is in, long enough for a machine under load: a stalled
        # process must not cut an answer short (0.3 s) or let a tag's dedup window (2 s) lapse.
        reader = RfidReader(lambda: serial.Serial(sim.path, 57600, timeout=0.1),
                            answer_timeout=10, dedup_window=600)
        assert reader._inventory() == EPCS  # every frame's tags, not the first frame's only
        got = {read.text for read in iter(lambda: reader.read(0.5), None)}
        assert got == set(EPCS)
        reader.close()


def test_a_reader_in_active_mode_is_named_not_misread(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    with RfidSim() as sim:
        sim.present(EPCS[0])
        sim.active = True
        reader = RfidReader(lambda: serial.Serial(sim.path, 57600, timeout=0.1))
        reports = 0  # pushed reports the reader has taken for what they are
        named = reader._in_active_mode

        def counted() -> None:
            nonlocal reports
            reports += 1
            named()

        monkeypatch.setattr(reader, "_in_active_mode", counted)
        # Poll until two polls have each met a pushed report, not for a fixed time: a report
        # comes 50 ms after the sim's port goes quiet, so a stalled process can see none in
        # 0.8 s. Every poll reads nothing: a pushed report is never taken as a tag.
        polls_with_reports, deadline = 0, time.monotonic() + 30
        with caplog.at_level(logging.ERROR):
            while polls_with_reports < 2:
                assert time.monotonic() < deadline, f"{reports} pushed reports seen in 30 s"
                before = reports
                assert reader.read(0.4) is None
                polls_with_reports += reports > before
        assert reader.active_mode
        assert "switch it to answer mode" in caplog.text
        assert caplog.text.count("active (scan) mode") == 1  # said once, not every poll
        sim.active = False
        read = reader.read(30)  # ends at the first answer
        assert read is not None and read.text == EPCS[0]
        reader.close()
