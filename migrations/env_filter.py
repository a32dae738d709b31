"""What autogenerate ignores: the event table's partitions, which SQL makes, not the models."""

from __future__ import annotations

import re
from typing import Any

_PARTITION = re.compile(r"^cylinder_event_(\d{6}|default)$")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    return not (type_ == "table" and name is not None and _PARTITION.match(name))
