"""Schemathesis against the served /api/v1/openapi.json of a real app on a 127.0.0.1 port.

Every documented operation is fuzzed with a token of each role, with data that fits the
document and data that does not, and each answer must be no 5xx, a documented status, the
documented content type and match its documented schema. Examples per operation are bounded
(uploads harder: each one runs ffprobe), and the run is derandomised so the suite is stable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from threading import Thread
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from audio.models import VoiceMessage
from gateway import accounts, migrate
from gateway.database import Database, utcnow
from gateway.factory import create_app
from gateway.roles import Role
from tests.conftest import station_settings
from tests.support import PASSWORD, add_recordings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 10
UPLOAD_EXAMPLES = 4


@dataclass(frozen=True)
class Served:
    base: str
    tokens: dict[Role, str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A real app (with a few recordings and a voice message to find) behind werkzeug."""
    root: Path = tmp_path_factory.mktemp("fuzz")
    station = station_settings(root)
    database = Database(station.database.url)
    migrate.upgrade(database)
    with database.session() as session:
        tokens = {
            role: accounts.create_token(
                session,
                name=f"{role.value}-fuzz",
                role=role,
                owner=accounts.create_user(
                    session, username=f"{role.value}-fuzzer", password=PASSWORD, role=role
                ),
            )[1]
            for role in (Role.ADMIN, Role.OPERATOR, Role.MODERATOR)
        }
        session.add(VoiceMessage(language="es", channel="api", received_at=utcnow()))
    add_recordings(database, "Voces", "Memoria", duration_s=120)
    server = make_server("127.0.0.1", 0, create_app(station, database=database), threaded=True)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}", tokens)
    finally:
        server.shutdown()
        thread.join()
        database.dispose()


def _fuzz(operation: Any, mode: GenerationMode, token: str, base_url: str) -> None:
    upload = "multipart/form-data" in str(operation.definition.raw.get("requestBody", ""))

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=UPLOAD_EXAMPLES if upload else EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            checks=CHECKS,
            timeout=30,
        )

    run()


@pytest.mark.slow
def test_every_documented_operation_holds_its_document_for_every_role(served: Served) -> None:
    schema = schemathesis.openapi.from_url(f"{served.base}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {operation.label for operation in operations}
    assert {
        "POST /recordings",
        "POST /voice-messages",
        "POST /schedule",
        "POST /alerts/cap",
    } <= labels
    for operation in operations:
        fuzzable = bool(operation.definition.raw.get("parameters")) or (
            "requestBody" in operation.definition.raw
        )
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if fuzzable else [])
        for role, token in served.tokens.items():
            for mode in modes:
                try:
                    _fuzz(operation, mode, token, f"{served.base}/api/v1")
                except Exception as exc:
                    raise AssertionError(f"{operation.label} as {role.value} ({mode})") from exc
