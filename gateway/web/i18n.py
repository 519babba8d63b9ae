"""Spanish first, English on request: the panel's language is a cookie the person chooses."""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask_babel import Babel
from werkzeug.wrappers import Response

from gateway.web.local_target import local_target

LANGUAGES = ("es", "en")
COOKIE = "altavoz_lang"


def select_locale() -> str:
    from gateway.web.access import settings

    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return settings().web.default_locale


def init_app(app: Flask) -> None:
    from gateway.web.access import public

    Babel(app, locale_selector=select_locale, default_translation_directories="translations")
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_locale"] = select_locale

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
