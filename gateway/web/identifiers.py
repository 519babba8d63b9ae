"""Database ids as the web sees them: positive 64-bit integers, in URLs and in JSON bodies.

SQLite and PostgreSQL keep ids in signed 64-bit columns; a larger number reaching a query
overflows there (a 500). Bounding ids where they enter (the URL converter every `<int:...>`
route uses, the `Id` type of the API models) turns such a number into a plain 404 or 422.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**63 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class IdConverter(IntegerConverter):
    """`<int:name>` limited to 1..2^63-1: anything else does not match the route (404)."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = 1,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
        if (min, max, signed, fixed_digits) == (1, MAX_ID, False, 0):
            self.regex = ID_PATTERN


def _up_to(limit: int) -> str:
    """A regex for the decimal numbers 1..limit. Werkzeug answers 405 instead of 404 when a
    path's id fails `to_python` and another method's route has the same path, so the
    pattern itself must refuse ids out of range rather than `to_python`."""
    digits = str(limit)
    exact = []
    for i, char in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(char) > low:
            rest = len(digits) - i - 1
            exact.append(
                digits[:i] + f"[{low}-{int(char) - 1}]" + (rf"\d{{{rest}}}" if rest else "")
            )
    exact.append(digits)
    return rf"0*(?:[1-9]\d{{0,{len(digits) - 2}}}|{'|'.join(exact)})"


ID_PATTERN = _up_to(MAX_ID)


def id_schema() -> dict[str, Any]:
    """The JSON schema of an id, for path parameters in the OpenAPI document."""
    return TypeAdapter(Id).json_schema()
