"""Device protocols byte for byte (devices.md's frames), and garbage that must never read as a
valid code, tag, weight or coil."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cylinder_scanner.protocols import barcode, modbus, mtsics, rfid_uhf
from cylinder_scanner.sources.hid import decode_keys, events_for
from cylinder_scanner.types import DeviceError, Weight

ONE_TAG = bytes.fromhex("13 00 01 01 01 0C E2 80 11 60 60 00 02 0A 1B 2C 3D 4E F5 93")
NO_TAG = bytes.fromhex("05 00 01 FB F2 3D")


def test_rfid_frames_of_devices_md() -> None:
    assert rfid_uhf.inventory() == bytes.fromhex("04 FF 01 1B B4")
    [resp] = rfid_uhf.ResponseFramer().feed(ONE_TAG)
    assert rfid_uhf.tags_of(resp) == ["E28011606000020A1B2C3D4E"]
    [none] = rfid_uhf.ResponseFramer().feed(NO_TAG)
    assert rfid_uhf.tags_of(none) == []
    assert rfid_uhf.inventory_response(0, ["E28011606000020A1B2C3D4E"]) == ONE_TAG


def test_rfid_frames_split_anywhere_and_after_garbage() -> None:
    for cut in range(len(ONE_TAG) + 1):
        framer = rfid_uhf.ResponseFramer()
        got = framer.feed(b"\x00\xff\x13garbage" + ONE_TAG[:cut]) + framer.feed(ONE_TAG[cut:])
        assert [rfid_uhf.tags_of(r) for r in got] == [["E28011606000020A1B2C3D4E"]]


def test_a_bad_rfid_crc_is_dropped() -> None:
    bad = ONE_TAG[:-1] + bytes([ONE_TAG[-1] ^ 1])
    assert rfid_uhf.ResponseFramer().feed(bad) == []
    truncated = ONE_TAG[:10]
    assert rfid_uhf.ResponseFramer().feed(truncated) == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_make_an_rfid_tag(noise: bytes) -> None:
    for resp in rfid_uhf.ResponseFramer().feed(noise):
        # a frame can only come out if its CRC holds: then it is a real frame by definition
        crc = rfid_uhf.crc16_mcrf4xx(bytes([len(resp.data) + 5, resp.address, resp.command,
                                            resp.status]) + resp.data)
        assert crc is not None


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(ONE_TAG) - 1), st.integers(0, 7))
def test_any_flipped_bit_in_a_tag_frame_is_refused(pos: int, bit: int) -> None:
    corrupted = bytearray(ONE_TAG)
    corrupted[pos] ^= 1 << bit
    tags = [rfid_uhf.tags_of(r) for r in rfid_uhf.ResponseFramer().feed(bytes(corrupted))]
    assert ["E28011606000020A1B2C3D4E"] not in tags


def test_modbus_frames_of_devices_md() -> None:
    assert modbus.write_coil(1, 0, True) == bytes.fromhex("01 05 00 00 FF 00 8C 3A")
    assert modbus.write_coil(1, 0, False) == bytes.fromhex("01 05 00 00 00 00 CD CA")
    assert modbus.read_coils(1, 0) == bytes.fromhex("01 01 00 00 00 01 FD CA")
    assert modbus.parse_read_coils(modbus.read_coils_answer(1, 1), 1) is True
    with pytest.raises(ValueError):
        modbus.parse_read_coils(b"\x01\x01\x01\x01\x00\x00", 1)


@pytest.mark.parametrize("line, weight", [
    ("S S     14.852 kg", Weight(14.852, True)),
    ("S D     14.850 kg", Weight(14.85, False)),
    ("S S   14852 g", Weight(14.852, True)),
    ("S S     -0.004 kg", Weight(-0.004, True)),
])
def test_mtsics_answers(line: str, weight: Weight) -> None:
    assert mtsics.parse_weight(line) == weight


@pytest.mark.parametrize("line", ["S I", "S +", "S -", "ES", "S S 14.8x kg", "", "S S 1 lb"])
def test_mtsics_refusals(line: str) -> None:
    with pytest.raises(DeviceError):
        mtsics.parse_weight(line)


def test_barcode_lines_terminators_aim_and_chunks() -> None:
    framer = barcode.LineFramer()
    stream = b"]Q1HTTPS://CT.EXAMPLE.CN/C/CT0000001ZK/1ABC\r\nCT00000020\r" \
             b"\xff\xfe\r\n\r\nE2801160\n"
    got = []
    for i in range(0, len(stream), 3):
        got += framer.feed(stream[i:i + 3])
    assert got == [("HTTPS://CT.EXAMPLE.CN/C/CT0000001ZK/1ABC", "]Q1"),
                   ("CT00000020", None), ("E2801160", None)]
    assert framer.feed(b"x" * 5000) == [] and len(framer.buffer) == 0


def test_repeated_reads_are_deduplicated_within_the_window() -> None:
    d = barcode.Deduper(window=2.0)
    assert d.fresh("A", 0.0) and not d.fresh("A", 1.0) and d.fresh("B", 1.0)
    assert d.fresh("A", 3.5)


def test_hid_key_events_decode_with_shift() -> None:
    text = "HTTPS://CT.EXAMPLE.CN/C/CT0000001ZK/1abc"
    assert list(decode_keys(events_for(text))) == [text]
    assert list(decode_keys([(1, 30, 1), (1, 30, 2), (1, 30, 0), (4, 4, 30), (1, 28, 1)])) == [
        "a"]
