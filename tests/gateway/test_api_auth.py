"""The API takes bearer tokens only: missing, wrong or revoked tokens get 401 in JSON."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import accounts
from gateway.accounts import ApiToken
from gateway.database import Database
from gateway.roles import Role


def test_missing_token_is_401_with_a_json_reason(client: FlaskClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"  # type: ignore[index]
    assert "Bearer" in response.json["error"]["message"]  # type: ignore[index]


def test_wrong_token_is_401(client: FlaskClient, api_token: Callable[[Role], str]) -> None:
    api_token(Role.OPERATOR)
    for header in ("Bearer avz_notatoken", "Bearer ", "Basic dXNlcjpwYXNz", "avz_x"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_revoked_token_is_401(
    client: FlaskClient, api_token: Callable[[Role], str], database: Database
) -> None:
    clear = api_token(Role.OPERATOR)
    headers = {"Authorization": f"Bearer {clear}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with database.session() as session:
        accounts.revoke_token(session, session.scalars(select(ApiToken)).one())
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_valid_token_identifies_itself_and_is_stored_only_hashed(
    client: FlaskClient, api_token: Callable[[Role], str], database: Database
) -> None:
    clear = api_token(Role.MODERATOR)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"})
    assert response.json == {"name": "moderator-token", "role": "moderator"}
    with database.session() as session:
        stored = session.scalars(select(ApiToken)).one()
        assert clear not in (stored.digest, stored.display_prefix)
        assert stored.last_used_at is not None


def test_session_cookie_does_not_authenticate_the_api(
    client: FlaskClient, logged_in: Callable[[Role], object]
) -> None:
    logged_in(Role.ADMIN)
    assert client.get("/api/v1/me").status_code == 401


def test_openapi_document_is_served_and_lists_the_operations(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.")  # type: ignore[index]
    assert "/me" in document["paths"]  # type: ignore[index]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"  # type: ignore[index]


def test_unknown_api_path_is_a_json_404(
    client: FlaskClient, api_token: Callable[[Role], str]
) -> None:
    response = client.get(
        "/api/v1/nothing-here", headers={"Authorization": f"Bearer {api_token(Role.ADMIN)}"}
    )
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"  # type: ignore[index]


def test_healthz_and_metrics_need_no_login(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "altavoz_users" in metrics.get_data(as_text=True)
