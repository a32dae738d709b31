"""The phone app's shell, the files the service worker caches so the app opens without a signal,
is one list: web/app/shell.json (sw.js reads it at install). These tests read the app's own
files, no browser: the list names every file the app loads and nothing that does not exist, so
a new module cannot be forgotten (it would load online and be missing offline)."""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath

from cylinder_trace.api.routes.mobile import APP_DIR

SHELL_JSON = APP_DIR / "shell.json"
# Under web/app/ but not in the shell, each for a reason.
NOT_IN_SHELL = {
    "sw.js": "the service worker itself: the browser keeps it",
    "shell.json": "the list: read by the service worker at install, never by the page",
    "vendor/zxing-wasm/LICENSE": "the decoder's licence, shipped with it, never loaded",
}
# What a page, a module or the manifest loads: HTML src/href, static and dynamic imports, the
# manifest's icons; `new URL(...)` paths built at run time (the decoder's .wasm) are covered by
# the listing test below.
HTML_REF = re.compile(r'\b(?:src|href)="(/app/[^"#?]*)"')
JS_IMPORT = re.compile(r'(?:\bfrom\s*|\bimport\s*\(?\s*)"(\.{1,2}/[^"]+)"')


def shell() -> list[str]:
    return list(json.loads(SHELL_JSON.read_text(encoding="utf-8")))


def file_of(url: str) -> Path:
    """The file under web/app/ that the service serves at this /app/ address."""
    assert url.startswith("/app/"), url
    rest = url.removeprefix("/app/")
    return APP_DIR / (rest or "index.html")


def url_of(path: Path) -> str:
    rest = path.relative_to(APP_DIR).as_posix()
    return "/app/" if rest == "index.html" else f"/app/{rest}"


def references(path: Path) -> set[str]:
    """The /app/ addresses this file makes the browser load."""
    if path.suffix not in {".html", ".webmanifest", ".js"}:
        return set()  # a picture, a style sheet, the .wasm: they load nothing
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        return set(HTML_REF.findall(text))
    if path.suffix == ".webmanifest":
        return {icon["src"] for icon in json.loads(text)["icons"]}
    here = PurePosixPath(url_of(path)).parent
    return {_normal(here / ref) for ref in JS_IMPORT.findall(text)}


def _normal(p: PurePosixPath) -> str:
    parts: list[str] = []
    for part in p.parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/" + "/".join(parts[1:])


def loaded() -> set[str]:
    """Everything reachable from the page (/app/) by the references above."""
    seen: set[str] = set()
    todo = ["/app/"]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        path = file_of(url)
        assert path.is_file(), f"{url} is loaded but {path.relative_to(APP_DIR)} does not exist"
        todo += sorted(references(path) - seen)
    return seen


def test_the_shell_names_only_files_that_exist_once_each() -> None:
    names = shell()
    assert len(names) == len(set(names)), "a file is listed twice"
    for url in names:
        assert file_of(url).is_file(), f"shell.json names {url}, which is not under web/app/"


def test_the_shell_names_every_file_the_app_loads() -> None:
    missing = loaded() - set(shell())
    assert not missing, f"loaded by the app but not in shell.json: {sorted(missing)}"


def test_every_file_under_web_app_is_in_the_shell_or_named_as_not() -> None:
    files = {p.relative_to(APP_DIR).as_posix() for p in APP_DIR.rglob("*") if p.is_file()}
    listed = {file_of(url).relative_to(APP_DIR).as_posix() for url in shell()}
    forgotten = files - set(NOT_IN_SHELL) - listed
    assert not forgotten, f"not in shell.json (add it, or to NOT_IN_SHELL, why): {forgotten}"
    assert listed <= files, f"listed but not a file: {sorted(listed - files)}"
    assert set(NOT_IN_SHELL) <= files, "NOT_IN_SHELL names a file that is gone"


def test_the_reference_reader_sees_what_the_app_writes() -> None:
    """The walk above can fail: it finds imports of each form the app uses."""
    assert {"/app/main.js", "/app/app.css", "/app/manifest.webmanifest"} <= references(
        APP_DIR / "index.html")
    assert "/app/scanner.js" in references(APP_DIR / "widgets" / "scan-panel.js")  # import()
    assert "/app/codes.js" in references(APP_DIR / "widgets" / "scan-panel.js")  # ../ from
    assert "/app/vendor/zxing-wasm/es/share.js" in references(
        APP_DIR / "vendor" / "zxing-wasm" / "es" / "reader" / "index.js")
    assert {"/app/icon-192.png", "/app/icon-512.png"} <= loaded()


def test_the_service_worker_caches_the_list_and_nothing_else() -> None:
    sw = (APP_DIR / "sw.js").read_text(encoding="utf-8")
    assert '"/app/shell.json"' in sw and "/app/main.js" not in sw, "sw.js keeps its own list"
