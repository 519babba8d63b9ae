"""The API shows voice messages by the panel's rules: one function decides for both."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from audio.models import Moderation, VoiceMessage
from audio.storage import MediaStore
from gateway.accounts import User
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from gateway.visibility import may_see, voice_access
from tests.moderation.messages import CALLER, make_message


@pytest.fixture
def messages(database: Database, settings: Settings, tmp_path: Path) -> dict[str, int]:
    """One message per kind an operator must not see, and one approved, oldest first."""
    source = tmp_path / "voice.wav"
    source.write_bytes(b"RIFF not really audio; only stored, never decoded here")
    store = MediaStore(settings.media.dir)
    kinds = {
        "pending": {"moderation": Moderation.PENDING, "transcript": "secreto pendiente"},
        "rejected": {"moderation": Moderation.REJECTED, "transcript": "secreto rechazado"},
        "sensitive": {"sensitive": True, "transcript": "secreto sensible"},
        "approved": {"moderation": Moderation.APPROVED, "transcript": "mensaje aprobado"},
    }
    with database.session() as session:
        return {
            name: make_message(session, store, source, **fields).id  # type: ignore[arg-type]
            for name, fields in kinds.items()
        }


def bearer(api_token: Callable[[Role], str], role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(role)}"}


def test_one_rule_moderators_see_all_operators_approved_only_strangers_nothing() -> None:
    pending, approved = VoiceMessage(moderation="pending"), VoiceMessage(moderation="approved")
    assert may_see(Role.MODERATOR, pending) and may_see(Role.ADMIN, pending)
    assert may_see(Role.OPERATOR, approved) and not may_see(Role.OPERATOR, pending)
    assert not may_see(None, approved)
    assert voice_access(Role.MODERATOR).original and voice_access(Role.MODERATOR).caller
    assert not voice_access(Role.OPERATOR).original and not voice_access(Role.OPERATOR).caller


def test_an_operator_token_gets_404_where_the_panel_gives_the_operator_404(
    client: FlaskClient,
    api_token: Callable[[Role], str],
    logged_in: Callable[[Role], User],
    messages: dict[str, int],
) -> None:
    headers = bearer(api_token, Role.OPERATOR)
    logged_in(Role.OPERATOR)
    for name, message_id in messages.items():
        api = client.get(f"/api/v1/voice-messages/{message_id}", headers=headers)
        panel = client.get(f"/voice/{message_id}")
        expected = 200 if name == "approved" else 404
        assert (api.status_code, panel.status_code) == (expected, expected), name
        assert "secreto" not in api.get_data(as_text=True)
        assert api.headers["Cache-Control"] == "private, no-store"


def test_a_moderator_token_reads_every_message_without_the_callers_number(
    client: FlaskClient, api_token: Callable[[Role], str], messages: dict[str, int]
) -> None:
    headers = bearer(api_token, Role.MODERATOR)
    for message_id in messages.values():
        response = client.get(f"/api/v1/voice-messages/{message_id}", headers=headers)
        assert response.status_code == 200
        assert CALLER not in response.get_data(as_text=True)


def test_the_list_holds_what_the_role_may_see_filtered_and_paged(
    client: FlaskClient, api_token: Callable[[Role], str], messages: dict[str, int]
) -> None:
    operator = client.get("/api/v1/voice-messages", headers=bearer(api_token, Role.OPERATOR))
    assert operator.status_code == 200
    assert [item["id"] for item in operator.json["items"]] == [messages["approved"]]  # type: ignore[index]
    assert operator.headers["Cache-Control"] == "private, no-store"
    hidden = client.get(
        "/api/v1/voice-messages?moderation=pending", headers=bearer(api_token, Role.OPERATOR)
    )
    assert hidden.json["items"] == []  # type: ignore[index]

    headers = bearer(api_token, Role.MODERATOR)
    newest_first = sorted(messages.values(), reverse=True)
    seen: list[int] = []
    offset: int | None = 0
    while offset is not None:
        page = client.get(f"/api/v1/voice-messages?limit=3&offset={offset}", headers=headers)
        assert page.status_code == 200
        seen += [item["id"] for item in page.json["items"]]  # type: ignore[index]
        offset = page.json["next_offset"]  # type: ignore[index]
    assert seen == newest_first
    pending = client.get("/api/v1/voice-messages?moderation=pending", headers=headers)
    ids = {item["id"] for item in pending.json["items"]}  # type: ignore[index]
    assert ids == {messages["pending"], messages["sensitive"]}
    assert CALLER not in pending.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    ["status=bogus", "moderation=maybe", "limit=0", "limit=201", "offset=-1", "limit=²", "limit=x"],
)
def test_bad_list_parameters_are_422_with_the_reason(
    client: FlaskClient, api_token: Callable[[Role], str], query: str
) -> None:
    response = client.get(f"/api/v1/voice-messages?{query}", headers=bearer(api_token, Role.ADMIN))
    assert response.status_code == 422
    assert query.split("=")[0] in response.json["error"]["message"]  # type: ignore[index]


def test_the_list_is_in_the_openapi_document(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/voice-messages"]["get"]  # type: ignore[index]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {"status", "moderation", "limit", "offset"}
    assert {"200", "401", "403", "422"} <= operation["responses"].keys()
