"""The appliance at the scale, as an explicit state machine.

idle → scanned → authorizing → allowed | denied → filling → recorded → idle

The interlock (the relay that opens the filling valve) is written OFF at start, on every
error, on a deny, on a timeout, on no flow, at the target, on overfill, when the scale stops
answering, and on exit. It goes ON only for an ``allow`` for the cylinder on the scale, with a
stable weight close to its registered tare. Every fault closes the valve first and explains
itself afterwards.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .client import Answer, ServiceClient
from .display import Display
from .outbox import Outbox
from .types import DeviceError, Interlock, Scale, ScanRead, ScanSource, Weight

log = logging.getLogger(__name__)


class State(StrEnum):
    IDLE = "idle"
    SCANNED = "scanned"
    AUTHORIZING = "authorizing"
    ALLOWED = "allowed"
    DENIED = "denied"
    FILLING = "filling"
    RECORDED = "recorded"
    FAULT = "fault"


@dataclass
class Settings:
    stable_reads: int = 3  # consecutive readings within the band = stable
    stable_band_kg: float = 0.02
    tare_tolerance_kg: float = 1.0  # the weighed empty cylinder vs its registered tare
    settle_timeout_s: float = 30.0  # to put the cylinder on the scale after the allow
    no_flow_s: float = 5.0  # the weight must rise at least no_flow_min_kg in this time
    no_flow_min_kg: float = 0.005
    fill_timeout_s: float = 300.0
    overfill_tolerance_kg: float = 0.2
    poll_s: float = 0.1


@dataclass
class FillResult:
    state: State
    answer: Answer | None = None
    net_kg: float | None = None
    gross_kg: float | None = None
    flags: list[str] = field(default_factory=list)
    fault: str | None = None


class Appliance:
    def __init__(self, client: ServiceClient, scale: Scale, interlock: Interlock,
                 sources: Sequence[ScanSource], outbox: Outbox, display: Display | None = None,
                 operator: str | None = None, settings: Settings | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client, self.scale, self.interlock = client, scale, interlock
        self.sources, self.outbox = list(sources), outbox
        self.display = display or Display()
        self.operator = operator
        self.s = settings or Settings()
        self.clock = clock
        self.state = State.IDLE
        self.close_valve()  # before anything else runs

    # --- the interlock -----------------------------------------------------------------------

    def close_valve(self) -> bool:
        """OFF, whatever happens; True when the relay confirmed it."""
        try:
            self.interlock.set(False)
            return True
        except DeviceError as exc:
            log.error("interlock did not confirm OFF: %s", exc)
            return False

    # --- one scan ------------------------------------------------------------------------------

    def next_scan(self, timeout: float) -> ScanRead | None:
        deadline = self.clock() + timeout
        while self.clock() < deadline:
            for source in self.sources:
                read = source.read(min(self.s.poll_s, max(0.0, deadline - self.clock())))
                if read is not None:
                    return read
        return None

    def handle(self, scan: ScanRead) -> FillResult:
        """From a scan to a recorded fill (or a refusal). The valve is OFF when this returns."""
        self.state = State.SCANNED
        try:
            return self._handle(scan)
        except DeviceError as exc:
            self.close_valve()
            self.state = State.FAULT
            self.display.status("设备故障，已关闭充装阀", "Device fault: valve closed", why=exc)
            return FillResult(State.FAULT, fault=str(exc))
        finally:
            self.close_valve()
            if self.state not in (State.FAULT,):
                self.state = State.IDLE

    def _handle(self, scan: ScanRead) -> FillResult:
        self.state = State.AUTHORIZING
        if scan.is_tag:
            answer = self.client.authorize("", rfid=scan.text, operator=self.operator)
        else:
            answer = self.client.authorize(scan.text, operator=self.operator)
        self.display.answer(answer)
        if not answer.allow or not answer.cylinder:
            self.state = State.DENIED
            return FillResult(State.DENIED, answer)
        self.state = State.ALLOWED
        cylinder = answer.cylinder
        start = self._settled_weight(self.s.settle_timeout_s)
        if abs(start.kg - float(cylinder["tare_kg"])) > self.s.tare_tolerance_kg:
            self.display.status("皮重与登记不符，禁止充装", "Tare does not match the record: "
                                "not filling", weighed=start.kg, registered=cylinder["tare_kg"])
            self.state = State.DENIED
            return FillResult(State.DENIED, answer, fault="TARE_MISMATCH")
        target = float(cylinder["max_fill_kg"])
        flags = self._fill(start.kg, target)
        end = self._settled_weight(10.0)
        net = round(end.kg - start.kg, 3)
        if net > target and "OVERFILL" not in flags:
            flags.append("OVERFILL")
        self.state = State.RECORDED
        record = {"authorization_id": answer.authorization_id, "net_kg": max(net, 0.001),
                  "gross_kg": round(end.kg, 3)}
        if self.operator:
            record["operator"] = self.operator
        key = str(answer.authorization_id)
        self.outbox.add(key, record)  # durable before anyone is told
        self.flush_outbox()
        self.display.status("充装完成", "Filled", net_kg=net)
        return FillResult(State.RECORDED, answer, net, end.kg, flags)

    def _settled_weight(self, timeout: float) -> Weight:
        """A weight that held still for several readings."""
        deadline = self.clock() + timeout
        readings: list[float] = []
        while self.clock() < deadline:
            w = self.scale.read_weight()
            readings = [*readings[-(self.s.stable_reads - 1):], w.kg] if w.stable else []
            if len(readings) >= self.s.stable_reads and \
                    max(readings) - min(readings) <= self.s.stable_band_kg:
                return Weight(sum(readings) / len(readings), True)
            time.sleep(self.s.poll_s)
        raise DeviceError("the weight did not settle")

    def _fill(self, start_kg: float, target_kg: float) -> list[str]:
        """Valve ON until the target; every gate closes it. Returns the flags."""
        self.state = State.FILLING
        self.interlock.set(True)
        began = last_progress_at = self.clock()
        last_progress_kg = prev_kg = start_kg
        try:
            while True:
                w = self.scale.read_weight()  # DeviceError: the scale went silent → closed
                net = w.kg - start_kg
                now = self.clock()
                # In-flight compensation: as much gas again as flowed since the last reading
                # will flow before the next one, so the valve closes on target, not late.
                in_flight = max(0.0, w.kg - prev_kg)
                prev_kg = w.kg
                if net + in_flight >= target_kg:
                    if net > target_kg + self.s.overfill_tolerance_kg:
                        return ["OVERFILL"]
                    return []
                if w.kg - last_progress_kg >= self.s.no_flow_min_kg:
                    last_progress_kg, last_progress_at = w.kg, now
                elif now - last_progress_at > self.s.no_flow_s:
                    raise DeviceError("no flow: the weight stopped rising")
                if now - began > self.s.fill_timeout_s:
                    raise DeviceError("fill timeout")
                time.sleep(self.s.poll_s / 2)
        finally:
            self.close_valve()

    # --- the outbox ----------------------------------------------------------------------------

    def flush_outbox(self) -> int:
        """Send what is owed; keep what could not be sent. Returns how many went."""
        sent = 0
        for key, record in self.outbox.pending():
            outcome = self.client.post_fill(record, key)
            if outcome == "retry":
                break
            if outcome == "rejected":
                log.error("the service refused fill record %s; kept in the journal", key)
                continue
            self.outbox.done(key)
            sent += 1
        return sent

    def run(self, stop: threading.Event, flush_every_s: float = 5.0) -> None:
        last_flush = 0.0
        try:
            while not stop.is_set():
                if self.clock() - last_flush > flush_every_s:
                    self.flush_outbox()
                    last_flush = self.clock()
                scan = self.next_scan(0.5)
                if scan is not None:
                    self.handle(scan)
        finally:
            self.close_valve()


def describe(result: FillResult) -> dict[str, Any]:
    return {"state": str(result.state), "net_kg": result.net_kg, "flags": result.flags,
            "fault": result.fault}
