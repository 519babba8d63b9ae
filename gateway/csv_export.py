"""CSV files for people who open them in a spreadsheet: every export writes through here.

A cell that starts with `=`, `+`, `-` or `@` is read as a formula by Excel and LibreOffice, and
one that starts with a tab or carriage return can smuggle one past a careless trim. Much of what
we export was typed by strangers (a region sent by SMS as `ALTA =HYPERLINK(...)`, a recording's
title), so such a cell gets a leading apostrophe, which spreadsheets treat as "this is text".

Phone numbers are E.164 and so always start with `+`; they are neutralised like any other cell
(a spreadsheet would otherwise read `+50255551234` as the number 50255551234, dropping the
plus). Our own importer takes the apostrophe off again (`restore_cell`), so a subscriber export
imported back changes nothing; exporting phones without the plus instead would make them read
as national numbers of the station's country on the way back in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"
_PREFIXED = (*FORMULA_STARTS, NEUTRALISER)
"""Cells that get the apostrophe: formulas, and cells that start with an apostrophe already,
so that `restore_cell` can tell our apostrophe from one that was part of the text."""


def safe_cell(value: object) -> str:
    """The cell as text that no spreadsheet evaluates."""
    text = "" if value is None else str(value)
    return NEUTRALISER + text if text.startswith(_PREFIXED) else text


def restore_cell(text: str) -> str:
    """Undo `safe_cell` on a cell read back from one of our own files (or one a person made
    with a spreadsheet's own apostrophe before a `+`)."""
    if text.startswith(NEUTRALISER) and text[1:].startswith(_PREFIXED):
        return text[1:]
    return text


def csv_text(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """A whole CSV document with every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
