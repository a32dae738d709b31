"""The appliance end to end: simulated scanner, scale and relay on pseudo-terminals, the real
service (uvicorn on a free port, real PostgreSQL); and its durable outbox."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import serial
from sqlalchemy import text

from cylinder_scanner.appliance import Appliance, Settings, State
from cylinder_scanner.client import ServiceClient
from cylinder_scanner.display import Display
from cylinder_scanner.outbox import Outbox
from cylinder_scanner.relay import ModbusRelay
from cylinder_scanner.scale import MtSicsScale
from cylinder_scanner.sim.devices import RelaySim, ScaleSim, ScannerSim
from cylinder_scanner.sources.serial_scanner import SerialScanner
from cylinder_trace.db.engine import get_engine
from tests.factories import GOOD as FRESH
from tests.live import LiveService

FAST = Settings(stable_reads=2, settle_timeout_s=5, no_flow_s=1.0, fill_timeout_s=15,
                poll_s=0.02, overfill_tolerance_kg=0.5)


@pytest.fixture
def service(database_url: str, client: Any) -> Iterator[LiveService]:
    live = LiveService(database_url)
    live.start()
    yield live
    if live.thread and live.thread.is_alive():
        live.stop()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[dict[str, Any]]:
    scanner, scale, relay = ScannerSim(), ScaleSim(16.0), RelaySim()
    scale.link(relay, rate_kg_s=4.0)
    yield {"scanner": scanner, "scale": scale, "relay": relay, "outbox": tmp_path / "o.jsonl"}
    for sim in (scanner, scale, relay):
        sim.close()


def station(world: Any) -> tuple[dict[str, Any], dict[str, str]]:
    e = world.enterprise()
    s = world.station(e["id"])
    return e, world.api_key(s["id"])


def appliance(rig: dict[str, Any], url: str, key: str, out: io.StringIO | None = None,
              settings: Settings = FAST) -> Appliance:
    def port(sim: Any) -> serial.Serial:
        return serial.Serial(sim.path, 9600, timeout=0.1)

    return Appliance(ServiceClient(url, key, timeout=2.0), MtSicsScale(port(rig["scale"])),
                     ModbusRelay(port(rig["relay"])), [SerialScanner(port(rig["scanner"]))],
                     Outbox(rig["outbox"]), Display(out or io.StringIO(), colour=False),
                     settings=settings)


def fills(cylinder_id: int) -> int:
    with get_engine().connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM fill WHERE cylinder_id = :c"),
                                {"c": cylinder_id}).scalar() or 0)


GOOD = {**FRESH, "tare_kg": 16.0, "model": "YSP-12"}  # a 5 kg fill keeps the tests quick


def test_an_allowed_cylinder_is_filled_to_its_target_and_recorded(
    world: Any, service: LiveService, rig: dict[str, Any]
) -> None:
    e, key = station(world)
    c = world.cylinder(e["id"], **GOOD)
    out = io.StringIO()
    app = appliance(rig, service.url, key["X-API-Key"], out)
    assert rig["relay"].history[0] is False  # OFF before anything else
    rig["scanner"].send(c["qr_text"], aim="]Q1")
    scan = app.next_scan(3)
    assert scan is not None
    result = app.handle(scan)
    assert result.state == State.RECORDED, (result, out.getvalue())
    assert result.net_kg == pytest.approx(c["max_fill_kg"], abs=0.3)
    assert True in rig["relay"].history and rig["relay"].coil is False
    assert "ALLOW 允许充装" in out.getvalue()
    assert fills(c["id"]) == 1 and app.outbox.pending() == []
    hist = world.client.get(f"/api/v1/cylinders/{c['code']}/history", headers=world.admin)
    assert hist.json()["items"][0]["kind"] == "filled"


def test_a_gs1_label_with_a_second_ai_fills_on_a_streaming_scale(
    world: Any, service: LiveService, rig: dict[str, Any]
) -> None:
    """The GS1 Syntax Engine's scan (GRAI, FNC1 as GS, AI 99; AIM ]Q3) names the cylinder, and a
    scale left streaming (every answer starts mid-line) does not fault the fill."""
    e, key = station(world)
    c = world.cylinder(e["id"], external_code="(8003)02112345678900ABC", **GOOD)
    rig["scale"].streaming = True
    out = io.StringIO()
    app = appliance(rig, service.url, key["X-API-Key"], out)
    rig["scanner"].send("800302112345678900ABC\x1d99CYL-7", aim="]Q3")
    scan = app.next_scan(3)
    assert scan is not None and scan.symbology == "]Q3"
    result = app.handle(scan)
    assert result.state == State.RECORDED, (result, out.getvalue())
    assert fills(c["id"]) == 1 and rig["relay"].coil is False


def test_a_denied_cylinder_never_opens_the_valve(world: Any, service: LiveService,
                                                 rig: dict[str, Any]) -> None:
    e, key = station(world)
    c = world.cylinder(e["id"], **{**GOOD, "model": "YSP-118-II"})
    out = io.StringIO()
    app = appliance(rig, service.url, key["X-API-Key"], out)
    rig["scanner"].send(c["qr_text"])
    result = app.handle(app.next_scan(3))  # type: ignore[arg-type]
    assert result.state == State.DENIED
    assert True not in rig["relay"].history
    assert "DENY 禁止充装" in out.getvalue() and "气液双相" in out.getvalue()


def test_the_service_unreachable_means_locked(rig: dict[str, Any]) -> None:
    app = appliance(rig, "http://127.0.0.1:9", "ctk_nothing")
    rig["scanner"].send("HTTPS://CT.EXAMPLE.CN/C/CT0000001ZK/1ABCDEFGH")
    result = app.handle(app.next_scan(3))  # type: ignore[arg-type]
    assert result.state == State.DENIED and result.answer is not None
    assert result.answer.reasons[0]["code"] == "SERVICE_UNREACHABLE"
    assert True not in rig["relay"].history


def test_the_gates_close_the_valve(world: Any, service: LiveService, rig: dict[str, Any]) -> None:
    e, key = station(world)
    app = appliance(rig, service.url, key["X-API-Key"])
    # a tare far from the registered one: never opened
    c = world.cylinder(e["id"], **GOOD)
    rig["scale"].set(48.0)
    rig["scanner"].send(c["qr_text"])
    assert app.handle(app.next_scan(3)).fault == "TARE_MISMATCH"  # type: ignore[arg-type]
    assert True not in rig["relay"].history
    # no flow: opened, then closed with a fault
    c2 = world.cylinder(e["id"], **GOOD)
    rig["scale"].set(16.0)
    rig["scale"].rate = 0.0
    rig["scanner"].send(c2["qr_text"])
    result = app.handle(app.next_scan(3))  # type: ignore[arg-type]
    assert result.state == State.FAULT and "no flow" in (result.fault or "")
    assert rig["relay"].history[-1] is False and rig["relay"].coil is False
    # the scale goes silent while filling
    c3 = world.cylinder(e["id"], **GOOD)
    rig["scale"].rate = 3.0
    rig["scanner"].send(c3["qr_text"])
    threading.Timer(0.5, rig["scale"].mute).start()
    result = app.handle(app.next_scan(3))  # type: ignore[arg-type]
    assert result.state == State.FAULT and rig["relay"].coil is False
    assert fills(c3["id"]) == 0


def test_service_stopped_mid_fill_the_record_arrives_once(
    world: Any, service: LiveService, rig: dict[str, Any]
) -> None:
    e, key = station(world)
    c = world.cylinder(e["id"], **GOOD)
    app = appliance(rig, service.url, key["X-API-Key"])

    def stop_when_valve_opens() -> None:
        while not rig["relay"].coil:
            time.sleep(0.01)
        service.stop()

    threading.Thread(target=stop_when_valve_opens, daemon=True).start()
    rig["scanner"].send(c["qr_text"])
    result = app.handle(app.next_scan(3))  # type: ignore[arg-type]
    assert result.state == State.RECORDED
    assert len(app.outbox.pending()) == 1  # owed, kept on disk
    service.start()
    assert app.flush_outbox() == 1 and app.outbox.pending() == []
    assert app.flush_outbox() == 0
    assert fills(c["id"]) == 1


def test_appliance_killed_after_the_fill_delivers_once_after_restart(
    world: Any, service: LiveService, rig: dict[str, Any]
) -> None:
    e, key = station(world)
    c = world.cylinder(e["id"], **GOOD)
    a = world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]},
                          headers=key).json()
    record = {"authorization_id": a["authorization_id"], "net_kg": 14.8, "gross_kg": 30.8}
    # first life: journaled, sent, then killed before it could mark it done
    first = Outbox(rig["outbox"])
    first.add(a["authorization_id"], record)
    assert ServiceClient(service.url, key["X-API-Key"]).post_fill(
        record, a["authorization_id"]) == "sent"
    del first
    # second life, after the power cut: the journal still owes it; sending again is harmless
    app = appliance(rig, service.url, key["X-API-Key"])
    assert [k for k, _ in app.outbox.pending()] == [a["authorization_id"]]
    assert app.flush_outbox() == 1
    assert fills(c["id"]) == 1


def test_the_outbox_survives_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    box = Outbox(path)
    box.add("k1", {"net_kg": 1})
    box.add("k2", {"net_kg": 2})
    box.done("k1")
    with open(path, "a") as f:
        f.write('{"op": "add", "id": "k3", "rec')  # the power went here
    again = Outbox(path)
    assert [k for k, _ in again.pending()] == ["k2"]
    again.done("k2")
    assert Outbox(path).pending() == [] and path.read_text() == ""
