"""Why an audio file was refused, in one sentence for the person who sent it.

Every refusal carries a `Problem` too, so the API can pick its status (415 for something that
is not audio, 413 for a recording longer than the station accepts) without parsing sentences.
"""

from __future__ import annotations

from enum import StrEnum


class Problem(StrEnum):
    EMPTY = "empty"
    NOT_AUDIO = "not_audio"
    DAMAGED = "damaged"
    TOO_LONG = "too_long"
    SILENT = "silent"


class AudioError(Exception):
    """Bad input audio; `str(error)` is one sentence that says what is wrong with it."""

    def __init__(self, problem: Problem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message
