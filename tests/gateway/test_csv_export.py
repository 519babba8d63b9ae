"""CSV cells that a spreadsheet would evaluate are neutralised, and our importer undoes it."""

from __future__ import annotations

import csv
import io

import pytest

from gateway.csv_export import csv_text, restore_cell, safe_cell


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+50255551234", "'+50255551234"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("San Marcos", "San Marcos"),
        ("'quoted", "''quoted"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_cells_that_start_like_a_formula_get_an_apostrophe(cell: object, written: str) -> None:
    assert safe_cell(cell) == written


@pytest.mark.parametrize(
    "cell", ["=1+1", "+50255551234", "'quoted", "'=x", "''=x", "plain", "", "-"]
)
def test_restoring_a_safe_cell_gives_back_the_original(cell: str) -> None:
    assert restore_cell(safe_cell(cell)) == cell


def test_a_whole_document_is_neutralised_cell_by_cell() -> None:
    text = csv_text(["a", "=b"], [["=HYPERLINK(1)", "x"], [None, "-1"]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["a", "'=b"],
        ["'=HYPERLINK(1)", "x"],
        ["", "'-1"],
    ]
