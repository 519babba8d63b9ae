"""Dates in panel URLs (`?week=`, `?day=`) and forms, held to `gateway.date_range`: a date out
of range answers 400 with the reason instead of overflowing further on."""

from __future__ import annotations

from datetime import date

from flask import abort, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import ValidationError

from gateway.date_range import FIRST_DAY, LAST_DAY, in_range


def _out_of_range() -> str:
    return _(
        "Choose a date between %(first)s and %(last)s.",
        first=FIRST_DAY.isoformat(),
        last=LAST_DAY.isoformat(),
    )


def day_argument(name: str) -> date | None:
    """The date in query argument `name`, None when it is absent or empty; aborts with 400
    and the reason when it is not a date or lies out of range."""
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        abort(400, _("%(value)s is not a date such as 2026-11-24.", value=text[:40]))
    if not in_range(day):
        abort(400, _out_of_range())
    return day


class DayInRange:
    """Form validator for a DateField: the same range as the URLs."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data is not None and not in_range(field.data):
            raise ValidationError(_out_of_range())
