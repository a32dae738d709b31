"""The facts a fill decision reads, by name: from a row of the hot path's one statement
(services/authorizing.py, psycopg's namedtuple rows) or from the records the phone's fill check
loads (services/checking.py). A new cylinder fact is a field of ``rules.CylinderFacts`` and a
column of that statement, nothing more."""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter
from typing import Any

from ..domain.rules import CylinderFacts, Licence

CYLINDER_FACTS = tuple(f.name for f in fields(CylinderFacts))
_read = attrgetter(*CYLINDER_FACTS)  # in field order: as fast as unpacking positions


def cylinder_facts(source: Any) -> CylinderFacts:
    """From anything with the cylinder's column names as attributes (a row, a record)."""
    return CylinderFacts(*_read(source))


def licence(source: Any, prefix: str) -> Licence:
    """The recorded status and dates of the licence whose columns start with ``prefix``."""
    return Licence(getattr(source, f"{prefix}_status"), getattr(source, f"{prefix}_valid_from"),
                   getattr(source, f"{prefix}_valid_until"))
