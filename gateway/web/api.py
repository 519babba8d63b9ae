"""/api/v1: JSON for integrations, authenticated by bearer tokens, never by cookies."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from audio.errors import AudioError, Problem
from gateway.roles import ALL_ROLES, Role
from gateway.web import openapi
from gateway.web.access import bearer_token, is_public, public
from gateway.web.errors import ApiError

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., Any])
# Modules that add their endpoints to this blueprint, one per domain.
ROUTE_MODULES = (
    "gateway.web.api_subscribers",
    "gateway.web.api_air",
    "gateway.web.api_alerts",
    "gateway.web.api_cap",
    "gateway.web.api_schedule",
    "gateway.web.api_playlists",
    "gateway.web.api_recordings",
    "gateway.web.api_voice",
)


def register(app: Flask) -> None:
    for module in ROUTE_MODULES:
        import_module(module)
    app.register_blueprint(blueprint)


@blueprint.before_request
def _authenticate() -> None:
    if request.endpoint and is_public(current_app, request.endpoint):
        return
    g.api_token = bearer_token()


AUDIO_STATUS = {
    Problem.EMPTY: 415,
    Problem.NOT_AUDIO: 415,
    Problem.DAMAGED: 415,
    Problem.TOO_LONG: 413,
    Problem.SILENT: 422,
}
"""The answer to an uploaded file the audio side refused, the same for every upload endpoint."""


def audio_refused(exc: AudioError) -> ApiError:
    return ApiError(AUDIO_STATUS[exc.problem], exc.message, code=exc.problem.value)


def api_requires(roles: Iterable[Role]) -> Callable[[F], F]:
    """Allow an API endpoint to tokens of these roles; others get 403."""
    allowed = frozenset(roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.api_token.role_enum not in allowed:
                raise ApiError(403, f"a token with role {g.api_token.role!r} may not do this")
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _version() -> str:
    try:
        return version("altavoz")
    except PackageNotFoundError:
        return "0"


class Me(openapi.ResponseModel):
    name: str
    role: str


class OpenApiDocument(openapi.ResponseModel):
    openapi: str
    paths: dict[str, Any]


@blueprint.get("/openapi.json")
@openapi.operation("This document (no token needed)", responses={200: OpenApiDocument}, public=True)
@public
def openapi_document() -> Response:
    return jsonify(openapi.document(current_app, _version()))


@blueprint.get("/me")
@api_requires(ALL_ROLES)
@openapi.operation("Who this token is (check a token without side effects)", responses={200: Me})
def me() -> ResponseReturnValue:
    return openapi.reply(Me(name=g.api_token.name, role=g.api_token.role_enum.value))
