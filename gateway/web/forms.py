"""Panel forms (Flask-WTF, so every one carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional, Regexp

from gateway.accounts import MIN_PASSWORD_LENGTH, USERNAME_PATTERN
from gateway.passwords import MAX_LENGTH, MIN_LENGTH, Weakness
from gateway.roles import Role
from gateway.web.labels import label


def role_choices() -> list[tuple[str, str]]:
    """The roles, each worded in the panel's language (the value stays the code)."""
    return [(role.value, label(role.value)) for role in Role]


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class NewUserForm(FlaskForm):
    username = StringField(
        _l("User name"), validators=[DataRequired(), Regexp(USERNAME_PATTERN.pattern)]
    )
    role = SelectField(_l("Role"), choices=role_choices)
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=256)]
    )
    confirm = PasswordField(
        _l("Repeat the password"), validators=[EqualTo("password", message=_l("Passwords differ"))]
    )


class EditUserForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices)
    active = BooleanField(_l("Active"))


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=256)]
    )
    confirm = PasswordField(
        _l("Repeat the password"), validators=[EqualTo("password", message=_l("Passwords differ"))]
    )


class ChangePasswordForm(PasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    role = SelectField(_l("Role"), choices=role_choices, default=Role.OPERATOR.value)
    expires_in_days = IntegerField(
        _l("Expires after (days; empty: never)"), validators=[Optional(), NumberRange(1, 3650)]
    )


class ConfirmForm(FlaskForm):
    """An empty form: a button whose only content is its CSRF token."""


class TickToConfirmForm(FlaskForm):
    """A button for something that cannot be undone from the list it sits in (removing a slot,
    revoking a token): a tick box beside it, required by the browser and checked here."""

    confirm = BooleanField(_l("Sure"), validators=[DataRequired(_l("Tick the box to confirm."))])


WEAKNESS_MESSAGES = {
    Weakness.TOO_SHORT: _l("The password must have at least %(n)d characters.", n=MIN_LENGTH),
    Weakness.TOO_LONG: _l("The password may have at most %(n)d characters.", n=MAX_LENGTH),
    Weakness.COMMON: _l("This is a commonly used password: choose another one."),
    Weakness.PERSONAL: _l("The password contains the user name or the station's name."),
    Weakness.WORDS: _l("A few common words or names alone are easy to guess: add more words."),
    Weakness.KEYBOARD: _l("Rows and patterns of keys are easy to guess."),
    Weakness.REPEATS: _l('Repeats like "aaa" or "abcabc" are easy to guess.'),
    Weakness.SEQUENCE: _l('Sequences like "abc" or "6543" are easy to guess.'),
    Weakness.DATES: _l("Dates and years are easy to guess."),
    Weakness.GUESSABLE: _l("The password is too easy to guess: use a few uncommon words."),
}
"""Why a password was refused, in the panel's language (the command line says it in English)."""
