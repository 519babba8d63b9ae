"""The one place where the Flask application is assembled from settings and blueprints."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway.database import Database
from gateway.settings import Settings, load_settings
from gateway.web.identifiers import IdConverter

csrf = CSRFProtect()


class _HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request itself came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure) or super().get_cookie_secure(app)


def read_or_create_secret(path: Path) -> str:
    """The key that signs sessions: made once, kept private to the service account."""
    if path.exists():
        secret = path.read_text().strip()
        if secret:
            return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret + "\n")
    return secret


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> Flask:
    from gateway.cli import register_commands
    from gateway.web import (
        access,
        admin,
        alert_decisions,
        api,
        auth,
        body_limit,
        errors,
        health,
        i18n,
        library,
        onair,
        panel,
        playlist_pages,
        schedule,
        subscribers,
        voice,
        voice_audio,
    )

    settings = settings or load_settings()
    app = Flask(__name__)
    # Every `<int:...>` route takes ids of 1..2^63-1 only; a larger one is a 404, not a 500.
    app.url_map.converters["int"] = IdConverter
    app.config.update(
        SECRET_KEY=read_or_create_secret(settings.web.secret_key_file),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.web.secure_cookies == "true",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.web.secure_cookies == "true",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.web.session_lifetime_minutes),
        MAX_CONTENT_LENGTH=settings.media.max_upload_mb * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_TIMEZONE=settings.station.timezone,
    )
    app.extensions["altavoz.settings"] = settings
    app.extensions["altavoz.database"] = database or Database(settings.database.url)
    if settings.web.behind_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    body_limit.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    access.init_app(app)
    errors.init_app(app)
    app.teardown_appcontext(access.close_db_session)

    app.register_blueprint(health.blueprint)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(panel.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(subscribers.blueprint)
    app.register_blueprint(onair.blueprint)
    # The alerts screen, with the decision routes gateway.web.alert_decisions adds to it.
    app.register_blueprint(alert_decisions.blueprint)
    app.register_blueprint(schedule.blueprint)
    app.register_blueprint(playlist_pages.blueprint)
    app.register_blueprint(library.blueprint)
    app.register_blueprint(voice.blueprint)
    app.register_blueprint(voice_audio.blueprint)
    api.register(app)
    csrf.exempt(api.blueprint)
    register_commands(app)

    if settings.web.secure_cookies == "auto":
        app.session_interface = _HttpsAwareSessionInterface()

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
            "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        )
        return response

    return app
