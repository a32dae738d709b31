"""The one scope builder: which rows of a list, search, statistic, export, feed or page a caller
sees, as a SQLAlchemy condition (``visible``) or a text-SQL fragment (``visible_sql``).

Both are built from ``Principal.reach``, the same data ``Principal.sees`` decides one record by,
so a list never shows what the record's own page would refuse, nor hides what it would show
(tests/api/test_scope.py checks the three agree on a table of callers x rows).

The differences that are meant are parameters, never copies (docs/architecture.md, "Scope"):

- ``region=None``: rows without a region of their own (deliveries, customer look-ups): only the
  enterprise part of the reach applies, so regulators see them only for their own enterprise.
- ``assignee=<column>``: the person a row is assigned to; a delivery worker sees only theirs
  (``Principal.assigned``), everyone else is not limited by it.
- ``regions=<text[] column>`` (in place of ``region``): a row that names several regions (a
  recall campaign's): seen when any of them is in reach, as if the row were listed once per
  region.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, false, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from ..domain.principal import Principal


def visible(principal: Principal, enterprise: Any, region: Any | None, *,
            assignee: Any | None = None, regions: Any | None = None) -> ColumnElement[bool]:
    """What ``principal`` sees, as a WHERE condition on the given columns."""
    reach = principal.reach
    if reach.everything:
        cond: ColumnElement[bool] = true()
    else:
        parts: list[ColumnElement[bool]] = []
        if reach.enterprise_id is not None:
            parts.append(enterprise == reach.enterprise_id)
        if region is not None:
            parts.extend(region.startswith(p) for p in reach.region_prefixes)
        if regions is not None and reach.region_prefixes:
            codes = func.unnest(regions).table_valued("code").render_derived()
            parts.append(exists(select(codes.c.code).select_from(codes).where(
                or_(*(codes.c.code.startswith(p) for p in reach.region_prefixes)))))
        cond = or_(*parts) if parts else false()
    if assignee is not None and principal.assignee_only:
        cond = and_(cond, assignee == principal.id)
    return cond


def visible_sql(principal: Principal, enterprise: str, region: str | None, *,
                assignee: str | None = None, regions: str | None = None,
                name: str = "scope") -> tuple[str, dict[str, Any]]:
    """The same as a text fragment over the named columns: constant text (column names come
    from the caller's code, never from input); the values travel as parameters ``name_*``."""
    reach = principal.reach
    params: dict[str, Any] = {}
    if reach.everything:
        sql = "true"
    else:
        parts: list[str] = []
        if reach.enterprise_id is not None:
            parts.append(f"{enterprise} = :{name}_e")
            params[f"{name}_e"] = reach.enterprise_id
        if region is not None and reach.region_prefixes:
            parts.append(f"{region} LIKE ANY(:{name}_r)")
            params[f"{name}_r"] = [p + "%" for p in reach.region_prefixes]
        if regions is not None and reach.region_prefixes:
            # a column name from the caller's code, as above; the prefixes are parameters
            parts.append(f"EXISTS (SELECT 1 FROM unnest({regions}) AS {name}_u(code) "  # noqa: S608
                         f"WHERE {name}_u.code LIKE ANY(:{name}_r))")
            params[f"{name}_r"] = [p + "%" for p in reach.region_prefixes]
        sql = "(" + " OR ".join(parts) + ")" if parts else "false"
    if assignee is not None and principal.assignee_only:
        sql = f"({sql} AND {assignee} = :{name}_a)"
        params[f"{name}_a"] = principal.id
    return sql, params
