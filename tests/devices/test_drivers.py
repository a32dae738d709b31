"""Drivers against the simulators on real pseudo-terminals, as a real serial port."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import serial

from cylinder_scanner.relay import ModbusRelay
from cylinder_scanner.scale import MtSicsScale
from cylinder_scanner.sim.devices import RelaySim, RfidSim, ScaleSim, ScannerSim
from cylinder_scanner.sources.rfid import RfidReader
from cylinder_scanner.sources.serial_scanner import SerialScanner
from cylinder_scanner.types import DeviceError


def port(path: str) -> serial.Serial:
    return serial.Serial(path, 9600, timeout=0.1)


@pytest.fixture
def scanner_sim() -> Iterator[ScannerSim]:
    with ScannerSim(terminator=b"\r\n") as sim:
        yield sim


def test_serial_scanner_reads_codes_strips_aim_and_deduplicates(scanner_sim: ScannerSim) -> None:
    scanner = SerialScanner(port(scanner_sim.path), dedup_window=5)
    scanner_sim.send("HTTPS://CT.EXAMPLE.CN/C/CT0000001ZK/1ABCDEFGH", aim="]Q1")
    scanner_sim.send("HTTPS://CT.EXAMPLE.CN/C/CT0000001ZK/1ABCDEFGH", aim="]Q1")
    scanner_sim.send_raw(b"\x00\xff\xfe\r\n")
    scanner_sim.send("CT00000020")
    first = scanner.read(2)
    assert first is not None and first.text.endswith("/1ABCDEFGH") and first.symbology == "]Q1"
    second = scanner.read(2)
    assert second is not None and second.text == "CT00000020"
    assert scanner.read(0.3) is None
    scanner.close()


def test_rfid_reader_inventories_and_reconnects() -> None:
    sims = [RfidSim()]
    sims[0].present("E28011606000020A1B2C3D4E")
    reader = RfidReader(lambda: port(sims[-1].path), dedup_window=0.1)
    read = reader.read(30)  # a wait that ends at the first tag: long only on a stalled machine
    assert read is not None and read.text == "E28011606000020A1B2C3D4E" and read.is_tag
    sims[0].present(None)
    assert reader.read(0.5) is None
    # unplugged: the old port dies, a new one appears; the reader finds it again
    sims[0].close()
    sims.append(RfidSim())
    sims[-1].present("E2801160600002FFFFFFFFFF")
    read = reader.read(30)
    assert read is not None and read.text == "E2801160600002FFFFFFFFFF"
    reader.close()
    sims[-1].close()


def test_scale_reads_stable_and_moving_weights_and_silence() -> None:
    with ScaleSim(16.2) as sim:
        scale = MtSicsScale(port(sim.path))
        w = scale.read_weight()
        assert w.kg == pytest.approx(16.2) and w.stable
        sim.set(20.0, stable=False)
        assert not scale.read_weight().stable
        sim.mute()
        with pytest.raises(DeviceError):
            scale.read_weight(timeout=0.3)
        scale.close()


def test_relay_switches_with_read_back_and_refuses_a_lie() -> None:
    with RelaySim() as sim:
        relay = ModbusRelay(port(sim.path))
        relay.set(True)
        assert sim.coil and relay.is_on()
        relay.set(False)
        assert not sim.coil
        sim.ignore_writes = True
        with pytest.raises(DeviceError):
            relay.set(True)
        sim.mute()
        with pytest.raises(DeviceError):
            relay.set(False)
        relay.close()


def test_simulators_are_real_ttys() -> None:
    with ScannerSim() as sim:
        assert os.isatty(os.open(sim.path, os.O_RDWR | os.O_NOCTTY))
