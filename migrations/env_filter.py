"""What autogenerate ignores: what SQL makes and owns, not the models: the event table's
partitions, and the append-only delta tables of the statistics (no key; only triggers write
them and only ct_compact_stats reads them out)."""

from __future__ import annotations

import re
from typing import Any

_PARTITION = re.compile(r"^(cylinder_event_(\d{6}|default)|stat_cylinder_delta|stat_fill_delta)$")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    return not (type_ == "table" and name is not None and _PARTITION.match(name))
