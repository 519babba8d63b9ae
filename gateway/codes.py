"""What workers store for people to read (a state, a failure reason, an as-run detail) is a
code with parameters, never a sentence: the panel words it in the reader's language through
one mapping (gateway/web/labels.py), so Spanish readers never see English a worker wrote,
and rewording a label does not change what is stored.

A coded value is the code alone, or the code and its parameters as a query string:
`transcribing?message=42&seconds=12`. Parts of a log line joined with "; " stay readable
codes each.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import parse_qsl, urlencode

PARTS = "; "
"""How several coded values share one stored line (an as-run detail that grew)."""


class Refused(ValueError):
    """A request refused for a reason people read. `str(error)` is the English the API and
    the command line give; `problem` (a code of the domain's enum) and its `params` let the
    panel word it in the reader's language (gateway.web.labels.problem_text). Text that
    gateway.plain_text refuses gets a TextProblem when the domain gave none."""

    def __init__(self, message: str, problem: StrEnum | None = None, **params: str | int) -> None:
        super().__init__(message)
        self.problem = problem
        self.params = params


def coded(code: str, **params: str | int | float) -> str:
    if not params:
        return code
    return f"{code}?{urlencode({name: str(value) for name, value in params.items()})}"


def decode(value: str) -> tuple[str, dict[str, str]]:
    """The code and its parameters; a value that is free text comes back as its own code."""
    code, _, query = value.partition("?")
    if not query:
        return value, {}
    return code, dict(parse_qsl(query, keep_blank_values=True))
