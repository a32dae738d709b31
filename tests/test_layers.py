"""The layers point one way, read from the source (every import, also those inside functions):

- ``domain/`` imports only the standard library (and itself): the rules run anywhere;
- ``services/`` never import ``api`` nor a web framework: a use case takes and returns plain
  values (the caller is ``domain/principal.py``, the shapes are ``schemas/``);
- ``db/`` (engine, tables, scope, the hot path's facts) never imports ``services``, ``api``,
  ``schemas`` or ``adapters``; ``adapters/`` never import ``services`` or ``api``; ``schemas/``
  import only the domain;
- no module imports itself through others (no import circles);
- ``devices/`` (the appliance) never imports the service's package: it speaks HTTP to it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "cylinder_trace"
WEB = ("fastapi", "starlette")


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT / "src").with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str, is_package: bool = False) -> Iterator[str]:
    """Every module ``source`` (the text of ``module``) imports, relative imports resolved;
    ``from a import b`` yields ``a`` and ``a.b`` (b may be a submodule)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target
            yield from (f"{target}.{a.name}" for a in node.names)


def _imports_of(path: Path) -> set[str]:
    return set(imports(path.read_text(encoding="utf-8"), _module_of(path),
                       path.name == "__init__.py"))


def _under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _files(*parts: str) -> list[Path]:
    where = PKG.joinpath(*parts)
    return sorted(where.rglob("*.py")) if where.is_dir() else [where.with_suffix(".py")]


def test_the_checker_sees_relative_lazy_and_from_imports() -> None:
    """The test below can fail: a service that imports the routes lazily is caught."""
    src = "def f():\n    from ..api.routes.deliveries import delivery_out\n    from .. import api\n"
    found = set(imports(src, "cylinder_trace.services.delivery"))
    assert {"cylinder_trace.api.routes.deliveries", "cylinder_trace.api"} <= found
    assert "cylinder_trace.domain.codes" in set(
        imports("from . import codes", "cylinder_trace.domain", is_package=True))


@pytest.mark.parametrize("path", _files("domain"), ids=lambda p: p.name)
def test_domain_imports_only_the_standard_library(path: Path) -> None:
    bad = {n for n in _imports_of(path) if not _under(n, "cylinder_trace.domain")
           and n.split(".")[0] not in sys.stdlib_module_names}
    assert not bad, f"{path.name} imports {sorted(bad)}"


# What each layer may not import (beyond the domain rule above). The HTTP layer is ``api/``;
# ``schemas/`` are the plain request/response values a use case takes and returns.
NEVER = {
    "services": ("cylinder_trace.api", *WEB),
    "db": ("cylinder_trace.services", "cylinder_trace.api", "cylinder_trace.schemas",
           "cylinder_trace.adapters", *WEB),
    "adapters": ("cylinder_trace.services", "cylinder_trace.api", *WEB),
    "schemas": ("cylinder_trace.db", "cylinder_trace.services", "cylinder_trace.api",
                "cylinder_trace.adapters", *WEB),
}


@pytest.mark.parametrize(("layer", "path"), [(layer, p) for layer in NEVER for p in _files(layer)],
                         ids=lambda v: v if isinstance(v, str) else v.name)
def test_each_layer_imports_only_below_it(layer: str, path: Path) -> None:
    bad = {n for n in _imports_of(path) if _under(n, *NEVER[layer])}
    assert not bad, f"{path.relative_to(PKG)} imports {sorted(bad)}"


def test_the_checker_catches_a_service_importing_the_routes() -> None:
    found = set(imports("from ..api.routes.deliveries import delivery_out",
                        "cylinder_trace.services.delivery"))
    assert {n for n in found if _under(n, *NEVER["services"])}


def _graph() -> dict[str, set[str]]:
    modules = {_module_of(p): p for p in PKG.rglob("*.py")}
    return {m: {n for n in _imports_of(p) if n in modules and n != m} for m, p in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_itself_through_others() -> None:
    """No import circles, lazy imports included: each module stands above what it imports."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    graph = _graph()
    # a package's __init__ is not an import of its modules
    graph = {m: {n for n in e if not m.startswith(n + ".")} for m, e in graph.items()}
    assert not _cycles(graph)


@pytest.mark.parametrize("path", sorted((ROOT / "devices").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT / "devices")))
def test_devices_never_import_the_service(path: Path) -> None:
    module = ".".join(path.relative_to(ROOT / "devices").with_suffix("").parts)
    found = set(imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py"))
    assert not {n for n in found if _under(n, "cylinder_trace")}, path
