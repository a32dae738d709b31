"""Every example shown to a reader in README.md and docs/ is checked: sample codes pass their
check character, requests name real operations (and the GETs answer), commands parse with the
real command lines, settings exist, and the integrator's guide runs as written."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.contract.conftest import GUIDE, fenced, mypy_strict

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DEMO_PASSWORD = "demo-pass-2026"  # what the README and the guide show


def text_of_docs() -> str:
    return "\n".join(p.read_text() for p in DOCS)


def spans(text: str) -> list[str]:
    """Inline code spans and the lines of fenced blocks (continuations joined)."""
    found = re.findall(r"(?<!`)`([^`\n]+)`(?!`)", text)
    for _, block in re.findall(r"^```(\w*)\n(.*?)^```$", text, re.DOTALL | re.MULTILINE):
        found += block.replace("\\\n", " ").splitlines()
    return found


def test_every_sample_code_passes_its_check_character() -> None:
    from cylinder_trace.domain.codes import is_valid_code

    codes = set(re.findall(r"\bCT[0-9A-Z]{9}\b", text_of_docs()))
    assert "CT0000001ZQ" in codes
    assert [c for c in codes if not is_valid_code(c)] == []


# Routes the docs name that are outside the OpenAPI document, and why.
OUTSIDE_THE_DOCUMENT = {
    ("GET", "/metrics"): "Prometheus scrape, not an API operation",
    ("POST", "/api/v1/echo"): "benchmark floor, only with CYLINDER_TRACE_BENCH_ECHO",
}


def mentioned_requests() -> list[tuple[str, str, str]]:
    """(method, path, query) of each `METHOD /path` in the docs, alternatives expanded."""
    found = []
    for method, target in re.findall(r"\b(GET|POST|PUT|PATCH|DELETE) (/[^\s`),;]*)",
                                     text_of_docs()):
        path, _, query = target.rstrip(".:").partition("?")
        head, _, alternatives = path.partition("|")
        found.append((method, head, query))
        for alt in filter(None, alternatives.split("|")):  # label.png|.svg
            found.append((method, re.sub(r"\.[a-z]+$", alt, head), query))
    return found


def operation_for(doc: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    candidates = [path] if path.startswith("/api/") else [path, "/api/v1" + path]
    for candidate in candidates:
        for template, ops in doc["paths"].items():
            pattern = re.sub(r"\{[^}]+\}", "[^/]+", re.escape(template).replace(r"\{", "{")
                             .replace(r"\}", "}"))
            stem = candidate.replace("…", "")
            if (re.fullmatch(pattern, candidate) or
                    (candidate.endswith("…") and template.startswith(stem))):
                if method.lower() in ops:
                    return dict(ops[method.lower()], path=template)
    return None


def test_every_request_shown_is_a_real_operation_and_the_gets_answer(world: Any) -> None:
    from cylinder_trace.app import create_app

    doc = create_app().openapi()
    e = world.enterprise()
    world.station(e["id"])  # the fill check's station
    c = world.cylinder(e["id"])
    values = {"code": c["code"], "codes": c["code"], "scan": c["code"],
              "since": str(date.today()),
              "until": str(date.today())}
    requests = mentioned_requests()
    assert len(requests) > 20
    for method, path, query in requests:
        if (method, path) in OUTSIDE_THE_DOCUMENT:
            continue
        op = operation_for(doc, method, path)
        assert op is not None, f"{method} {path} is in the docs but not in /openapi.json"
        names = {p["name"] for p in op.get("parameters", [])}
        for pair in filter(None, query.split("&")):
            name, _, value = pair.partition("=")
            assert name in names, (method, path, name)
        needed = set(re.findall(r"\{(\w+)\}", op["path"])) | {
            p["name"] for p in op.get("parameters", []) if p["in"] == "query" and p.get("required")}
        if method != "GET" or "…" in path or not needed <= set(values):
            continue  # shown, and checked to exist; not called (needs a body or a record)
        url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], op["path"])
        params = {p["name"]: values[p["name"]] for p in op.get("parameters", [])
                  if p["in"] == "query" and p.get("required")}
        for pair in filter(None, query.split("&")):
            name, _, value = pair.partition("=")
            params[name] = values[name] if value in ("", "…") else value.split("|")[0]
        r = world.client.get(url, params=params, headers=world.admin)
        assert r.status_code == 200, (method, path, r.status_code, r.text[:300])


def parsers() -> dict[str, Any]:
    from cylinder_scanner.cli import build_parser as scanner
    from cylinder_trace.cli import build_parser as service

    return {"cylinder-trace": service(), "cylinder-scanner": scanner()}


def argv_for(parser: Any, words: list[str]) -> list[list[str]]:
    """The argument lists a shown command stands for: [optional] parts in, a|b alternatives
    each, PLACEHOLDERS and … replaced by a value."""
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    command = sub.choices[words[0]]
    takes_value = {s: a for a in command._actions for s in a.option_strings if a.nargs != 0}

    def value(option: str) -> str:
        return "1" if takes_value[option].type in (int, float) else "x"

    argv: list[str] = [words[0]]
    variants: list[str] = []
    for word in words[1:]:
        word = word.strip("[]")
        if word == "…":  # options left out
            continue
        if word.startswith("--") and argv[-1] in takes_value:
            argv.append(value(argv[-1]))
        if "|" in word and not word.startswith("-"):
            variants = word.split("|")
            argv.append(variants[0])
        elif re.fullmatch(r"[A-Z_]+|.*…", word):
            argv.append(value(argv[-1]) if argv[-1] in takes_value else "x")
        else:
            argv.append(word)
    if argv[-1] in takes_value:
        argv.append(value(argv[-1]))
    out = [argv]
    for other in variants[1:]:
        out.append([other if w == variants[0] else w for w in argv])
    return out


def test_every_command_shown_parses_with_the_real_command_line() -> None:
    known = parsers()
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))
    checked = 0
    for span in spans(text_of_docs()):
        words = shlex.split(span.split("#")[0], posix=False) if span.strip() else []
        if len(words) >= 2 and words[0] == "make":
            assert words[1] in targets, span
            checked += 1
        if len(words) >= 2 and words[0] in known:
            for argv in argv_for(known[words[0]], words[1:]):
                try:
                    known[words[0]].parse_args(argv)
                except SystemExit:
                    pytest.fail(f"`{span}` does not parse: {argv}")
                checked += 1
    assert checked > 12


def test_every_setting_named_exists() -> None:
    from cylinder_trace import config

    fields = set(config.Settings.model_fields)
    files = set(config._FROM_FILES.values())
    code = "\n".join(p.read_text() for d in ("src", "devices") for p in (ROOT / d).rglob("*.py"))
    names = set(re.findall(r"\bCYLINDER_TRACE_[A-Z0-9_]+\b", text_of_docs()))
    assert len(names) > 15
    for name in names:
        if name.endswith("_"):  # an abbreviation: …_PUBLIC_PER_MINUTE
            continue
        # a setting, a secret read from a file, or a variable the code reads by name
        assert (name in files or name[len("CYLINDER_TRACE_"):].lower() in fields
                or f'"{name}"' in code), name


def run_guide_shell(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = "\n".join(t for lang, t in fenced(GUIDE) if lang == "sh")
    return subprocess.run(["bash", "-c", "set -euo pipefail\n" + script], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def first_day(world: Any) -> dict[str, Any]:
    """What the guide takes as given: the demo admin, a station, a cylinder on the scale."""
    from sqlmodel import Session

    from cylinder_trace.db.engine import get_engine
    from cylinder_trace.services.accounts import create_admin

    with Session(get_engine()) as session:
        create_admin(session, "admin", DEMO_PASSWORD)
    e = world.enterprise()
    station = world.station(e["id"])
    fresh = str(date.today() - timedelta(days=400))  # in service, inspection not yet due
    return {"station": station, "cylinder": world.cylinder(e["id"], manufacture_date=fresh)}


@pytest.mark.skipif(not shutil.which("curl"), reason="curl is not installed")
def test_the_guide_shell_examples_run_as_written(live: Any, world: Any) -> None:
    given = first_day(world)
    c = given["cylinder"]
    env = {**os.environ, "CT": live.url, "STATION_ID": given["station"]["id"],
           "SCAN": c["qr_text"]}
    out = run_guide_shell(env)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[0] == "platform_admin"  # GET /users/me
    history = world.client.get(f"/api/v1/cylinders/{c['code']}/history",
                               headers=world.admin).json()["items"]
    assert [e["kind"] for e in history].count("filled") == 1  # the retry made no second fill
    fill_id = history[0]["payload"].get("fill_id") or lines[1]
    assert lines[1] == lines[2] == fill_id  # the same fill id twice
    assert c["code"] in lines  # the paging loop listed it
    # the problem the guide prints is what that request answers
    shown = json.loads(next(t for lang, t in fenced(GUIDE) if lang == "json"))
    problem = json.loads(out.stdout[out.stdout.index('{"type"'):].splitlines()[0])
    assert problem == shown


def test_the_guide_json_examples_are_problems_of_the_declared_schema() -> None:
    import jsonschema

    from cylinder_trace.app import create_app

    doc = create_app().openapi()
    schema = {"$ref": "#/components/schemas/Problem", "components": doc["components"]}
    blocks = [json.loads(t) for lang, t in fenced(GUIDE) if lang == "json"]
    assert blocks
    for block in blocks:
        jsonschema.validate(block, schema, cls=jsonschema.Draft202012Validator)


def test_the_guide_python_example_type_checks_and_runs(
    generated: Path, live: Any, world: Any
) -> None:
    example = next(t for lang, t in fenced(GUIDE) if lang == "python")
    (generated / "example.py").write_text(example)
    checked = mypy_strict(generated, "example.py")
    assert checked.returncode == 0, checked.stdout[-3000:]
    given = first_day(world)
    key = world.api_key(given["station"]["id"])["X-API-Key"]
    env = {**os.environ, "CT": live.url, "CT_USER": "admin", "CT_PASSWORD": DEMO_PASSWORD,
           "CT_STATION_KEY": key, "CT_SCAN": given["cylinder"]["qr_text"],
           "PYTHONPATH": str(generated)}
    out = subprocess.run([sys.executable, "example.py"], cwd=generated, env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert given["cylinder"]["code"] in out.stdout
    assert "filled:" in out.stdout
