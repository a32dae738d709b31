"""The layers point one way, read from the source (every import, also those inside functions):

- ``domain/`` imports only the standard library (and itself): the rules run anywhere;
- ``services/`` never import ``api`` nor the HTTP module ``auth`` nor a web framework: a use
  case takes and returns plain values (``Principal`` lives in ``principal.py``);
- ``principal.py`` and ``scope.py`` import no web framework and nothing above them;
- ``db.py`` never imports ``services`` or ``api``;
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
    src = "def f():\n    from ..api.deliveries import delivery_out\n    from .. import auth\n"
    found = set(imports(src, "cylinder_trace.services.delivery"))
    assert {"cylinder_trace.api.deliveries", "cylinder_trace.auth"} <= found
    assert "cylinder_trace.domain.codes" in set(
        imports("from . import codes", "cylinder_trace.domain", is_package=True))


@pytest.mark.parametrize("path", _files("domain"), ids=lambda p: p.name)
def test_domain_imports_only_the_standard_library(path: Path) -> None:
    bad = {n for n in _imports_of(path) if not _under(n, "cylinder_trace.domain")
           and n.split(".")[0] not in sys.stdlib_module_names}
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", _files("services"), ids=lambda p: p.name)
def test_services_never_import_the_http_layer(path: Path) -> None:
    bad = {n for n in _imports_of(path)
           if _under(n, "cylinder_trace.api", "cylinder_trace.auth", *WEB)}
    assert not bad, f"services/{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("name", ["principal", "scope"])
def test_the_caller_and_its_scope_are_plain(name: str) -> None:
    bad = {n for n in _imports_of(PKG / f"{name}.py") if _under(
        n, "cylinder_trace.api", "cylinder_trace.auth", "cylinder_trace.services", *WEB)}
    assert not bad, f"{name}.py imports {sorted(bad)}"


def test_db_never_imports_services_or_api() -> None:
    bad = {n for n in _imports_of(PKG / "db.py")
           if _under(n, "cylinder_trace.services", "cylinder_trace.api")}
    assert not bad


@pytest.mark.parametrize("path", sorted((ROOT / "devices").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT / "devices")))
def test_devices_never_import_the_service(path: Path) -> None:
    module = ".".join(path.relative_to(ROOT / "devices").with_suffix("").parts)
    found = set(imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py"))
    assert not {n for n in found if _under(n, "cylinder_trace")}, path
