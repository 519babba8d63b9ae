"""Every route of the app, every method, against every role and a stranger, from one table.

The table below is written by hand: who may reach each route. The test reads the routes from
`app.url_map`, so a route added later without a row here fails, and so does a route whose
declaration (`requires`, `api_requires`, `public`, `personal_data` on the view) says something
else than the table, or that has no declaration at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from gateway.accounts import User
from gateway.roles import Role
from gateway.web.access import allowed_roles, carries_personal_data, is_public
from tests.support import csrf_token

PUBLIC = "public"
ADMIN = frozenset({Role.ADMIN})
STAFF = frozenset({Role.ADMIN, Role.OPERATOR})
MODERATION = frozenset({Role.ADMIN, Role.MODERATOR})
EVERY_ROLE = frozenset(Role)

EXPECTED: dict[tuple[str, str], frozenset[Role] | str] = {
    ("GET", "/static/<path:filename>"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,  # its own rule: metrics.allow_from or a token (tested apart)
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/lang/<code>"): PUBLIC,
    ("GET", "/"): EVERY_ROLE,
    ("GET", "/account/password"): EVERY_ROLE,
    ("POST", "/account/password"): EVERY_ROLE,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("GET", "/admin/users/<int:user_id>"): ADMIN,
    ("POST", "/admin/users/<int:user_id>"): ADMIN,
    ("POST", "/admin/users/<int:user_id>/password"): ADMIN,
    ("GET", "/admin/tokens"): ADMIN,
    ("POST", "/admin/tokens"): ADMIN,
    ("POST", "/admin/tokens/<int:token_id>/revoke"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
    ("GET", "/alerts/"): STAFF,
    ("POST", "/alerts/"): STAFF,
    ("GET", "/alerts/preview"): STAFF,
    ("GET", "/alerts/inbound"): STAFF,
    ("GET", "/alerts/<int:alert_id>"): EVERY_ROLE,
    ("POST", "/alerts/<int:alert_id>/approve"): STAFF,
    ("POST", "/alerts/<int:alert_id>/reject"): STAFF,
    ("POST", "/alerts/<int:alert_id>/cancel"): STAFF,
    ("POST", "/alerts/<int:alert_id>/correct"): STAFF,
    ("GET", "/library/"): EVERY_ROLE,
    ("POST", "/library/upload"): STAFF,
    ("GET", "/library/<int:recording_id>"): EVERY_ROLE,
    ("POST", "/library/<int:recording_id>"): STAFF,
    ("POST", "/library/<int:recording_id>/delete"): STAFF,
    ("GET", "/library/<int:recording_id>/audio"): EVERY_ROLE,
    ("GET", "/library/<int:recording_id>/waveform.svg"): EVERY_ROLE,
    ("GET", "/on-air/"): EVERY_ROLE,
    ("GET", "/on-air/as-run.csv"): EVERY_ROLE,
    ("GET", "/schedule/"): EVERY_ROLE,
    ("GET", "/schedule/playlists"): EVERY_ROLE,
    ("POST", "/schedule/playlists"): STAFF,
    ("POST", "/schedule/playlists/import"): STAFF,
    ("POST", "/schedule/playlists/<int:playlist_id>/fallback"): STAFF,
    ("GET", "/schedule/playlists/<int:playlist_id>"): EVERY_ROLE,
    ("POST", "/schedule/playlists/<int:playlist_id>"): STAFF,
    ("POST", "/schedule/playlists/<int:playlist_id>/items"): STAFF,
    ("POST", "/schedule/playlists/<int:playlist_id>/delete"): STAFF,
    ("POST", "/schedule/slots"): STAFF,
    ("POST", "/schedule/slots/<int:slot_id>/delete"): STAFF,
    ("GET", "/subscribers/"): STAFF,
    ("POST", "/subscribers/"): STAFF,
    ("POST", "/subscribers/import"): STAFF,
    ("GET", "/subscribers/export.csv"): STAFF,
    ("GET", "/voice/"): EVERY_ROLE,
    ("POST", "/voice/upload"): EVERY_ROLE,
    ("GET", "/voice/<int:message_id>"): EVERY_ROLE,
    ("POST", "/voice/<int:message_id>/caller"): MODERATION,
    ("POST", "/voice/<int:message_id>/transcript"): MODERATION,
    ("POST", "/voice/<int:message_id>/retry"): MODERATION,
    ("POST", "/voice/<int:message_id>/approve"): MODERATION,
    ("POST", "/voice/<int:message_id>/reject"): MODERATION,
    ("POST", "/voice/<int:message_id>/sensitive"): MODERATION,
    ("POST", "/voice/<int:message_id>/protect"): MODERATION,
    ("POST", "/voice/<int:message_id>/library"): EVERY_ROLE,
    ("GET", "/voice/<int:message_id>/original"): MODERATION,
    ("GET", "/voice/<int:message_id>/protected"): EVERY_ROLE,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/v1/me"): EVERY_ROLE,
    ("GET", "/api/v1/recordings"): EVERY_ROLE,
    ("POST", "/api/v1/recordings"): STAFF,
    ("GET", "/api/v1/recordings/<int:recording_id>"): EVERY_ROLE,
    ("POST", "/api/v1/voice-messages"): EVERY_ROLE,
    ("GET", "/api/v1/voice-messages"): EVERY_ROLE,
    ("GET", "/api/v1/voice-messages/<int:message_id>"): EVERY_ROLE,
    ("POST", "/api/v1/voice-messages/<int:message_id>/retry"): MODERATION,
    ("POST", "/api/v1/playlists"): STAFF,
    ("GET", "/api/v1/playlists/<int:playlist_id>"): EVERY_ROLE,
    ("PUT", "/api/v1/playlists/<int:playlist_id>"): STAFF,
    ("PATCH", "/api/v1/playlists/<int:playlist_id>"): STAFF,
    ("DELETE", "/api/v1/playlists/<int:playlist_id>"): STAFF,
    ("GET", "/api/v1/playlists/<int:playlist_id>.m3u"): EVERY_ROLE,
    ("GET", "/api/v1/playlists/<int:playlist_id>.xspf"): EVERY_ROLE,
    ("POST", "/api/v1/schedule"): STAFF,
    ("GET", "/api/v1/schedule"): EVERY_ROLE,
    ("DELETE", "/api/v1/schedule/<int:slot_id>"): STAFF,
    ("GET", "/api/v1/schedule.ics"): EVERY_ROLE,
    ("GET", "/api/v1/now-playing"): EVERY_ROLE,
    ("POST", "/api/v1/subscribers"): STAFF,
    ("POST", "/api/v1/alerts"): STAFF,
    ("GET", "/api/v1/alerts/<int:alert_id>"): EVERY_ROLE,
    ("GET", "/api/v1/alerts/<int:alert_id>.cap"): EVERY_ROLE,
    ("POST", "/api/v1/alerts/cap"): STAFF,
    ("POST", "/api/v1/alerts/<int:alert_id>/approve"): STAFF,
    ("POST", "/api/v1/alerts/<int:alert_id>/reject"): STAFF,
    ("POST", "/api/v1/alerts/<int:alert_id>/cancel"): STAFF,
    ("POST", "/api/v1/alerts/<int:alert_id>/correct"): STAFF,
}

PERSONAL_DATA = {
    "subscribers.index",
    "subscribers.add",
    "subscribers.import_csv",
    "subscribers.export_csv",
    "alerts.inbound",
    "voice.index",
    "voice.upload",
    "voice.detail",
    "voice.reveal_caller",
    "voice.correct",
    "voice.retry",
    "voice.approve",
    "voice.reject",
    "voice.sensitive",
    "voice.protect",
    "voice.to_library",
    "voice_audio.original",
    "voice_audio.protected",
    "admin.tokens",
    "admin.create_token",
    "admin.audit_log",
    "api.list_voice_messages",
    "api.get_voice_message",
}
"""Endpoints whose answers carry personal data: `Cache-Control: no-store` on every answer."""

SAMPLES = {"filename": "voice.css", "code": "es"}
"""Ids default to 999, which nothing has: no request may change what the next one finds."""
IDENTITIES = [*Role, None]


def routes(app: Flask) -> Iterator[tuple[str, Rule]]:
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):  # type: ignore[operator]
            yield method, rule


def concrete_path(rule: Rule) -> str:
    values = {name: SAMPLES.get(name, 999) for name in rule.arguments}
    return rule.build(values)[1]  # type: ignore[index]


def declared(app: Flask, endpoint: str) -> frozenset[Role] | str | None:
    if is_public(app, endpoint):
        return PUBLIC
    return allowed_roles(app.view_functions[endpoint])


def test_the_table_lists_every_route_and_method_and_nothing_else(app: Flask) -> None:
    served = {(method, rule.rule) for method, rule in routes(app)}
    assert sorted(served - EXPECTED.keys()) == [], "routes without a row in EXPECTED"
    assert sorted(EXPECTED.keys() - served) == [], "rows for routes that no longer exist"


def test_every_route_declares_exactly_the_access_in_the_table(app: Flask) -> None:
    wrong = {
        (method, rule.rule): declared(app, rule.endpoint)
        for method, rule in routes(app)
        if declared(app, rule.endpoint) != EXPECTED.get((method, rule.rule))
    }
    assert wrong == {}


def test_exactly_the_routes_with_personal_data_are_declared_so(app: Flask) -> None:
    marked = {
        rule.endpoint for _m, rule in routes(app) if carries_personal_data(app, rule.endpoint)
    }
    assert marked == PERSONAL_DATA


def _as(
    identity: Role | None,
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    api_token: Callable[[Role], str],
) -> tuple[dict[str, str], str]:
    """Headers for API calls and a CSRF token for panel forms, as this person."""
    if identity is None:
        return {}, csrf_token(client, "/login")
    logged_in(identity)
    return {"Authorization": f"Bearer {api_token(identity)}"}, csrf_token(client, "/")


@pytest.mark.parametrize("identity", IDENTITIES, ids=lambda role: role or "anonymous")
def test_every_route_answers_each_role_and_strangers_as_the_table_says(
    app: Flask,
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    api_token: Callable[[Role], str],
    identity: Role | None,
) -> None:
    headers, form_token = _as(identity, client, logged_in, api_token)
    wrong = []
    for method, rule in routes(app):
        if (method, rule.rule) == ("POST", "/logout"):
            continue  # would end this session halfway through; reached by every login test
        path = concrete_path(rule)
        if rule.rule.startswith("/api/"):
            response = client.open(path, method=method, headers=headers, json={})
        else:
            response = client.open(path, method=method, data={"csrf_token": form_token})
        expected = EXPECTED[(method, rule.rule)]
        status = response.status_code
        to_login = status == 302 and "/login" in response.headers.get("Location", "")
        if expected == PUBLIC or identity in expected:
            ok = status not in (401, 403) and not to_login
        elif rule.rule.startswith("/api/"):
            ok = status == (401 if identity is None else 403)
        else:
            ok = to_login if identity is None else status == 403
        if not ok:
            wrong.append((method, path, status))
        if rule.endpoint in PERSONAL_DATA and "no-store" not in response.headers.get(
            "Cache-Control", ""
        ):
            wrong.append((method, path, "cached"))
        response.close()
    assert wrong == []
