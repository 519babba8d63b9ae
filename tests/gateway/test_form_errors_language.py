"""One language at a time after a form is sent: each panel form, given input the domain code
refuses, says why in the reader's language (the domain errors carry a code and parameters,
worded by gateway/web/labels.py), never in the English the API and the command line give.

The GET pages are walked by test_one_language.py; this walks the refusals those pages lead to.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.accounts import User
from gateway.database import Database, utcnow
from tests.gateway.test_one_language import ENGLISH, ZONE, found, seed, station, visible_text
from tests.support import PASSWORD, csrf_token, log_in

__all__ = ["station"]


@dataclass(frozen=True)
class Refusal:
    """A form sent with bad input, and the reason the panel must give in each language."""

    page: str
    """Where the form is (for its CSRF token); `{name}` is filled from the seeded ids."""
    url: str
    data: Callable[[dict[str, int]], dict[str, object]]
    english: str
    spanish: str
    follow: bool = False
    """The refusal is flashed on the page the form redirects to."""
    multipart: bool = field(default=False)


REFUSALS = {
    "user name taken": Refusal(
        "/admin/users",
        "/admin/users",
        lambda ids: {
            "username": "ana",
            "role": "operator",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
        "a user named ana already exists",
        "ya existe un usuario llamado ana",
    ),
    "last admin demoted": Refusal(
        "/admin/users/{admin_id}",
        "/admin/users/{admin_id}",
        lambda ids: {"role": "operator", "active": "y"},
        "the last active admin cannot be demoted or disabled",
        "el último administrador activo no puede perder su rol ni ser desactivado",
    ),
    "alert text invisible": Refusal(
        "/alerts/",
        "/alerts/",
        lambda ids: {"text": "\u200b\u200b", "air": "y", "confirm": "y"},
        "the text has only invisible characters (or accents without a letter)",
        "el texto solo tiene caracteres invisibles (o acentos sin letra)",
    ),
    "reject a sent alert": Refusal(
        "/alerts/{alert_id}",
        "/alerts/{alert_id}/reject",
        lambda ids: {"reason": "no"},
        "Only a draft can be approved or rejected.",
        "Solo un borrador puede aprobarse o rechazarse.",
        follow=True,
    ),
    "bad RRULE": Refusal(
        "/schedule/",
        "/schedule/slots",
        lambda ids: {
            "content": f"p:{ids['playlist_id']}",
            "day": (utcnow().astimezone(ZONE) + timedelta(days=2)).date().isoformat(),
            "start": "10:00",
            "minutes": "30",
            "repeat": "custom",
            "rrule": "FREQ=NEVER",
            "interval": "1",
        },
        "the repetition rule (RRULE) cannot be used",
        "la regla de repetición (RRULE) no se puede usar",
    ),
    "playlist file not XML": Refusal(
        "/schedule/playlists",
        "/schedule/playlists/import",
        lambda ids: {"name": "Zz", "file": (io.BytesIO(b"<playlist"), "a.xspf")},
        "the file is not valid XML (line 1)",
        "el archivo no es XML válido (línea 1)",
        multipart=True,
    ),
    "playlist name with a control character": Refusal(
        "/schedule/playlists/{playlist_id}",
        "/schedule/playlists/{playlist_id}",
        lambda ids: {"name": "a\x07b", "mode": "ordered"},
        "the text contains a control character (U+0007)",
        "el texto contiene un carácter de control (U+0007)",
    ),
    "recording language": Refusal(
        "/library/{recording_id}",
        "/library/{recording_id}",
        lambda ids: {"title": "Xq 0", "kind": "testimony", "language": "x", "tags": ""},
        "x is not a language code such as es or mam",
        "x no es un código de idioma como es o mam",
    ),
    "voice not approved to the library": Refusal(
        "/voice/{message_id}",
        "/voice/{message_id}/library",
        lambda ids: {"title": "Xq", "consent": "y"},
        "only approved messages can be added to the library",
        "solo los mensajes aprobados pueden añadirse a la biblioteca",
        follow=True,
    ),
}


def refused(client: FlaskClient, refusal: Refusal, ids: dict[str, int]) -> str:
    page = refusal.page.format(**ids)
    data = {"csrf_token": csrf_token(client, page), **refusal.data(ids)}
    response = client.post(
        refusal.url.format(**ids),
        data=data,
        content_type="multipart/form-data" if refusal.multipart else None,
        follow_redirects=refusal.follow,
    )
    assert response.status_code in (200, 400, 409, 422), response.status_code
    return visible_text(response.get_data(as_text=True))


@pytest.fixture
def seeded(station: tuple[Flask, Database]) -> tuple[FlaskClient, dict[str, int]]:
    app, database = station
    ids = seed(database, utcnow())
    with database.session(write=False) as session:
        ids["admin_id"] = session.scalars(select(User.id).where(User.username == "ana")).one()
    client = app.test_client()
    assert log_in(client, "ana") == 302
    return client, ids


@pytest.mark.parametrize("name", list(REFUSALS))
def test_a_refused_form_says_why_in_spanish_only(
    seeded: tuple[FlaskClient, dict[str, int]], name: str
) -> None:
    client, ids = seeded
    refusal = REFUSALS[name]
    text = refused(client, refusal, ids)
    assert refusal.spanish in text
    assert refusal.english not in text
    assert found(ENGLISH, text) == []


@pytest.mark.parametrize("name", list(REFUSALS))
def test_a_refused_form_says_why_in_english_only(
    seeded: tuple[FlaskClient, dict[str, int]], name: str
) -> None:
    client, ids = seeded
    client.get("/lang/en")
    refusal = REFUSALS[name]
    text = refused(client, refusal, ids)
    assert refusal.english in text
    assert refusal.spanish not in text
