"""The JSON API, one module per family; `from_row` shapes an answer from a table row."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

Out = TypeVar("Out", bound=BaseModel)


def from_row(model: type[Out], row: object, **computed: Any) -> Out:
    """`model` from `row`: each field the row holds under the same name, the others given."""
    return model(**{name: getattr(row, name) for name in model.model_fields
                    if name not in computed}, **computed)
