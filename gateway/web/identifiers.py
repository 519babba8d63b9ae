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


def id_schema() -> dict[str, Any]:
    """The JSON schema of an id, for path parameters in the OpenAPI document."""
    return TypeAdapter(Id).json_schema()
