"""The relay's Modbus RTU against frames and answers of pymodbus (tests/data/devices) and against
pymodbus's own RTU server on one end of a pseudo-terminal pair: a Modbus implementation nobody
here wrote. Our simulator must answer as that server does."""

from __future__ import annotations

import asyncio
import json
import os
import select
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cylinder_scanner.protocols import modbus
from cylinder_scanner.relay import ModbusRelay
from cylinder_scanner.sim.devices import RelaySim
from cylinder_scanner.types import DeviceError

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "data" / "devices" /
                      "modbus_vectors.json").read_text())
FRAMES = {v["name"]: bytes.fromhex(v["frame"]) for v in VECTORS["literals"] + VECTORS["captured"]}


class FdPort:
    """The host's end of a pty as the small serial-port interface the drivers use."""

    def __init__(self, fd: int) -> None:
        self.fd, self.timeout = fd, 0.1

    def read(self, n: int) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], self.timeout)
        return os.read(self.fd, n) if ready else b""

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    def reset_input_buffer(self) -> None:
        while select.select([self.fd], [], [], 0)[0]:
            os.read(self.fd, 4096)

    def close(self) -> None:
        pass


def exchange(port: FdPort, frame: bytes, wait: float = 0.3) -> bytes:
    port.reset_input_buffer()
    port.write(frame)
    got, end = b"", time.monotonic() + wait
    while time.monotonic() < end:
        port.timeout = 0.03
        chunk = port.read(256)
        if got and not chunk:
            break  # the answer is over: a quiet gap after it
        got += chunk
    return got


@pytest.fixture(scope="module")
def pymodbus_server() -> Iterator[FdPort]:
    """pymodbus's ModbusSerialServer, device 1 with 16 coils, on the pty's device end."""
    from pymodbus.server import ModbusSerialServer
    from pymodbus.simulator import DataType, SimData, SimDevice

    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    path = os.ttyname(slave)

    def block(kind: Any, value: Any) -> list[Any]:
        return [SimData(0, count=16, values=value, datatype=kind)]

    device = SimDevice(id=1, simdata=(block(DataType.BITS, False), block(DataType.BITS, False),
                                      block(DataType.REGISTERS, 0), block(DataType.REGISTERS, 0)))
    loop = asyncio.new_event_loop()
    holder: dict[str, Any] = {}

    async def serve() -> None:
        holder["server"] = ModbusSerialServer(device, port=path, baudrate=9600)
        await holder["server"].serve_forever()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    port = FdPort(master)
    deadline = time.monotonic() + 5
    while exchange(port, modbus.read_coils(1, 0), 0.1) == b"":  # until it listens
        assert time.monotonic() < deadline, "pymodbus server did not start"
    yield port
    loop.call_soon_threadsafe(lambda: asyncio.ensure_future(holder["server"].shutdown()))
    thread.join(timeout=2)
    for fd in (master, slave):
        os.close(fd)


def test_our_frames_are_devices_md_literals() -> None:
    assert modbus.write_coil(1, 0, True) == FRAMES["write coil 0 ON @1"]
    assert modbus.write_coil(1, 0, False) == FRAMES["write coil 0 OFF @1"]
    assert modbus.read_coils(1, 0) == FRAMES["read 1 coil from 0 @1"]


def test_pymodbus_answers_parse_and_exceptions_are_named() -> None:
    assert modbus.parse_read_coils(FRAMES["read coils answer, coil ON"], 1) is True
    assert modbus.parse_read_coils(FRAMES["read coils answer, coil OFF"], 1) is False
    read_exc = FRAMES["exception: read coils, illegal data address"]
    write_exc = FRAMES["exception: write coil, illegal data address"]
    assert modbus.exception_of(read_exc, 1, modbus.READ_COILS) == 0x02
    assert modbus.exception_of(write_exc, 1, modbus.WRITE_SINGLE_COIL) == 0x02
    assert modbus.exception_of(read_exc, 1, modbus.WRITE_SINGLE_COIL) is None
    assert modbus.exception_of(read_exc[:-1] + b"\x00", 1, modbus.READ_COILS) is None  # bad CRC
    assert modbus.exception_answer(1, modbus.READ_COILS, 2) == read_exc
    assert "illegal data address" in modbus.describe_exception(2)


REQUESTS = [modbus.write_coil(1, 3, True), modbus.read_coils(1, 3), modbus.read_coils(1, 0, 8),
            modbus.write_coils(1, 8, [True, False, True]), modbus.read_coils(1, 0, 16),
            modbus.read_coils(1, 100), modbus.write_coil(1, 100, True),
            modbus.read_coils(1, 10, 8), modbus.write_coil(1, 3, False)]


def test_our_simulator_answers_as_pymodbus_does(pymodbus_server: FdPort) -> None:
    import serial

    with RelaySim(coils=16) as sim:
        ours = serial.Serial(sim.path, 9600, timeout=0.1)
        try:
            for request in REQUESTS:
                theirs = exchange(pymodbus_server, request)
                mine = exchange(ours, request)
                assert theirs and mine == theirs, (request.hex(), mine.hex(), theirs.hex())
        finally:
            ours.close()
    assert exchange(pymodbus_server, modbus.write_coils(1, 0, [False] * 16))


def test_the_relay_driver_works_a_real_modbus_server(pymodbus_server: FdPort) -> None:
    relay = ModbusRelay(pymodbus_server, address=1, coil=5, timeout=0.5)
    relay.set(True)
    assert relay.is_on()
    assert exchange(pymodbus_server, modbus.read_coils(1, 0, 8)) == \
        modbus.read_coils_answer(1, 1 << 5, 8)  # coil 5 and no other
    relay.set(False)
    assert not relay.is_on()


def test_an_exception_answer_is_the_devices_error_at_once(pymodbus_server: FdPort) -> None:
    relay = ModbusRelay(pymodbus_server, address=1, coil=100, timeout=3.0)
    for action in (lambda: relay.set(True), relay.is_on):
        started = time.monotonic()
        with pytest.raises(DeviceError, match=r"exception 02 \(illegal data address\)"):
            action()
        assert time.monotonic() - started < 1.0  # not the 3 s of silence


def test_the_simulator_honours_the_coil_address() -> None:
    import serial

    with RelaySim(valve=5) as sim:
        relay = ModbusRelay(serial.Serial(sim.path, 9600, timeout=0.1), coil=5)
        relay.set(True)
        assert sim.coil and sim.coils == [i == 5 for i in range(16)] and relay.is_on()
        wrong = ModbusRelay(serial.Serial(sim.path, 9600, timeout=0.1), coil=40, timeout=3.0)
        started = time.monotonic()
        with pytest.raises(DeviceError, match="illegal data address"):
            wrong.set(True)
        assert time.monotonic() - started < 1.0
        relay.set(False)
        assert sim.history == [True, False]
