"""The `cylinder-scanner` command (stations script it: the options are stable).

cylinder-scanner run --service URL --api-key KEY --scanner PORT --scale PORT --relay PORT
                     [--rfid PORT] [--camera DEVICE] [--outbox PATH] [--operator BADGE]
                     [--baud N] [--PORT-baud N] [--PORT-flow none|xonxoff|rtscts]
                     [--config FILE.toml]
cylinder-scanner simulate scanner|rfid|scale|relay

Each serial port (PORT: scanner, scale, relay, rfid) has its own baud rate and flow control;
`--baud` is the default of the scanner, scale and relay ports (the RFID reader's is 57600, its
factory setting). Many weighing indicators ship with Xon/Xoff: `--scale-flow xonxoff`.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import tomllib
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "service": None, "api_key": None, "scanner": None, "scale": None, "relay": None,
    "rfid": None, "camera": None, "outbox": str(Path.home() / ".cylinder-scanner" /
                                                "outbox.jsonl"),
    "operator": None, "baud": 9600, "rfid_baud": 57600,
    "scanner_baud": None, "scale_baud": None, "relay_baud": None,
    "scanner_flow": "none", "scale_flow": "none", "relay_flow": "none", "rfid_flow": "none",
}
PORTS = ("scanner", "scale", "relay", "rfid")
FLOW_CONTROL = ("none", "xonxoff", "rtscts")


def port_settings(o: dict[str, Any], name: str) -> dict[str, Any]:
    """pyserial settings of one port: its own baud (else --baud) and flow control."""
    baud = o.get(f"{name}_baud") or o["baud"]
    flow = str(o.get(f"{name}_flow") or "none").lower()
    if flow not in FLOW_CONTROL:
        raise SystemExit(f"--{name}-flow is one of {', '.join(FLOW_CONTROL)} / 流控参数无效")
    return {"baudrate": int(baud), "xonxoff": flow == "xonxoff", "rtscts": flow == "rtscts",
            "timeout": 0.1}


def options(args: argparse.Namespace) -> dict[str, Any]:
    """Command line over the TOML file over the environment over the defaults."""
    merged = dict(DEFAULTS)
    if os.environ.get("CYLINDER_SCANNER_API_KEY"):
        merged["api_key"] = os.environ["CYLINDER_SCANNER_API_KEY"]
    if args.config:
        with open(args.config, "rb") as f:
            merged.update({k.replace("-", "_"): v for k, v in tomllib.load(f).items()})
    merged.update({k: v for k, v in vars(args).items() if v is not None and k in DEFAULTS})
    missing = [k for k in ("service", "api_key", "scale", "relay") if not merged.get(k)]
    if not (merged.get("scanner") or merged.get("rfid") or merged.get("camera")):
        missing.append("scanner (or rfid / camera)")
    if missing:
        raise SystemExit(f"missing options / 缺少参数: {', '.join(missing)}")
    return merged


def cmd_run(args: argparse.Namespace) -> int:
    import serial

    from .appliance import Appliance
    from .client import ServiceClient
    from .outbox import Outbox
    from .relay import ModbusRelay
    from .scale import MtSicsScale
    from .sources.rfid import RfidReader
    from .sources.serial_scanner import SerialScanner
    from .types import ScanSource

    o = options(args)
    relay = ModbusRelay(serial.Serial(o["relay"], **port_settings(o, "relay")))
    relay_off = relay.set  # the interlock is written OFF first, before any other device opens
    try:
        relay_off(False)
    except Exception as exc:
        print(f"relay not answering / 继电器无响应: {exc}", file=sys.stderr)
        return 2
    sources: list[ScanSource] = []
    if o["scanner"]:
        sources.append(SerialScanner(serial.Serial(o["scanner"], **port_settings(o, "scanner"))))
    if o["rfid"]:
        rfid_path, rfid_port = o["rfid"], port_settings(o, "rfid")
        sources.append(RfidReader(lambda: serial.Serial(rfid_path, **rfid_port)))
    if o["camera"]:
        from .sources.camera import CameraSource

        sources.append(CameraSource.open(o["camera"]))
    appliance = Appliance(ServiceClient(o["service"], o["api_key"]),
                          MtSicsScale(serial.Serial(o["scale"], **port_settings(o, "scale"))),
                          relay,
                          sources, Outbox(o["outbox"]), operator=o["operator"])
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print("appliance ready / 充装秤已就绪", flush=True)
    try:
        appliance.run(stop)
    finally:
        appliance.close_valve()
        print("stopped, valve closed / 已停止，充装阀已关闭", flush=True)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from .sim.devices import RelaySim, RfidSim, ScaleSim, ScannerSim

    sim: Any = {"scanner": ScannerSim, "rfid": RfidSim, "scale": ScaleSim,
                "relay": RelaySim}[args.device]()
    print(sim.path, flush=True)
    help_text = {"scanner": "type a code and Enter to scan it", "rfid": "type a tag id (hex), "
                 "or an empty line for no tag", "scale": "type a weight in kg",
                 "relay": "prints the coil when it changes"}[args.device]
    print(f"# {help_text}; Ctrl-D to stop", file=sys.stderr, flush=True)
    try:
        for line in sys.stdin:
            line = line.strip()
            if args.device == "scanner" and line:
                sim.send(line)
            elif args.device == "rfid":
                sim.present(line or None)
            elif args.device == "scale" and line:
                sim.set(float(line))
            elif args.device == "relay":
                print(f"coil={'ON' if sim.coil else 'OFF'} history={sim.history}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cylinder-scanner", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the appliance")
    for name in ("service", "api-key", "scanner", "scale", "relay", "rfid", "camera", "outbox",
                 "operator", "config"):
        run.add_argument(f"--{name}")
    run.add_argument("--baud", type=int, help="default baud rate of the scanner, scale, relay")
    for name in PORTS:
        run.add_argument(f"--{name}-baud", type=int)
        run.add_argument(f"--{name}-flow", choices=FLOW_CONTROL)
    run.set_defaults(func=cmd_run)
    sim = sub.add_parser("simulate", help="a device on a pseudo-terminal, by hand")
    sim.add_argument("device", choices=["scanner", "rfid", "scale", "relay"])
    sim.set_defaults(func=cmd_simulate)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
