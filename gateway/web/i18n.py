"""Spanish first, English on request: the panel's language is a cookie the person chooses.

Times are shown by Babel's filters (`datetimeformat`, `timeformat`, and `moment` for the ISO
text of API-shaped summaries) in the station's zone, BABEL_DEFAULT_TIMEZONE set from the
config by the app factory; templates never format a time themselves.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, redirect, request, url_for
from flask_babel import Babel, format_datetime
from werkzeug.wrappers import Response

from gateway.web.labels import label, language_name
from gateway.web.local_target import local_target

LANGUAGES = ("es", "en")
COOKIE = "altavoz_lang"


def select_locale() -> str:
    from gateway.web.access import settings

    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return settings().web.default_locale


def moment(value: str | datetime, format: str = "short") -> str:
    """A time from the database or from a summary's ISO text, in the station's zone."""
    return format_datetime(
        datetime.fromisoformat(value) if isinstance(value, str) else value, format
    )


def init_app(app: Flask) -> None:
    from gateway.web.access import public

    Babel(app, locale_selector=select_locale, default_translation_directories="translations")
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_locale"] = select_locale
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.filters["moment"] = moment

    @app.get("/lang/<code>")
    @public
    def set_language(code: str) -> Response:
        target = local_target(request.args.get("next")) or url_for("panel.dashboard")
        response = redirect(target)
        if code in LANGUAGES:
            response.set_cookie(
                COOKIE,
                code,
                max_age=365 * 86400,
                samesite="Lax",
                httponly=True,
                secure=request.is_secure,
            )
        return response
