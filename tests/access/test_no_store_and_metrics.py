"""Personal data is never kept by a cache; the metrics are read from allowed places only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from gateway.accounts import User
from gateway.database import Database
from gateway.factory import create_app
from gateway.roles import Role
from gateway.settings import ConfigError, load_settings, settings_from_mapping
from tests.conftest import station_settings


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.OPERATOR, "/subscribers/"),
        (Role.OPERATOR, "/subscribers/export.csv"),
        (Role.MODERATOR, "/voice/"),
        (Role.ADMIN, "/admin/tokens"),
    ],
)
def test_pages_and_files_with_personal_data_are_sent_no_store(
    client: FlaskClient, logged_in: Callable[[Role], User], role: Role, path: str
) -> None:
    logged_in(role)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


def test_pages_without_personal_data_keep_the_default_caching(
    client: FlaskClient, logged_in: Callable[[Role], User]
) -> None:
    logged_in(Role.OPERATOR)
    assert "no-store" not in client.get("/library/").headers.get("Cache-Control", "")


def metrics_client(tmp_path: Path, database: Database, **metrics: object) -> FlaskClient:
    settings = (
        station_settings(tmp_path, metrics=metrics) if metrics else station_settings(tmp_path)
    )
    app = create_app(settings, database=database)
    return app.test_client()


def test_metrics_answer_loopback_and_refuse_other_addresses_without_a_token(
    tmp_path: Path, database: Database, api_token: Callable[[Role], str]
) -> None:
    client = metrics_client(tmp_path, database)
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    refused = client.get("/metrics", environ_base=outside)
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "unauthorized"  # type: ignore[index]
    wrong = client.get(
        "/metrics", environ_base=outside, headers={"Authorization": "Bearer avz_nothing"}
    )
    assert wrong.status_code == 401
    token = {"Authorization": f"Bearer {api_token(Role.MODERATOR)}"}
    allowed = client.get("/metrics", environ_base=outside, headers=token)
    assert allowed.status_code == 200 and allowed.mimetype == "text/plain"


def test_metrics_allow_from_takes_networks(tmp_path: Path, database: Database) -> None:
    client = metrics_client(tmp_path, database, allow_from=["10.0.0.0/8", "2001:db8::/32"])
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.4.5.6"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "2001:db8::7"}).status_code == 200
    assert client.get("/metrics").status_code == 401, "loopback is no longer in the list"


def test_metrics_allow_from_is_validated_and_read_from_the_environment() -> None:
    with pytest.raises(ConfigError, match=r"metrics\.allow_from"):
        settings_from_mapping({"metrics": {"allow_from": ["somewhere"]}})
    settings = load_settings({"ALTAVOZ_METRICS__ALLOW_FROM": "192.168.1.0/24, ::1"})
    assert settings.metrics.allow_from == ("192.168.1.0/24", "::1")
    assert settings.metrics.allows("192.168.1.20") and not settings.metrics.allows("192.168.2.1")
    assert load_settings({}).metrics.allow_from == ("127.0.0.1", "::1")
