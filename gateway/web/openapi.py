"""The OpenAPI document of /api/v1, assembled from what each API module declares."""

from __future__ import annotations

from typing import Any

_paths: dict[str, dict[str, Any]] = {}
_schemas: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    }
}


def error_responses(*statuses: int) -> dict[str, Any]:
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {str(status): {"description": "error", **ref} for status in statuses}


def operation(path: str, method: str, spec: dict[str, Any]) -> None:
    """Declare one operation; the API module calls this beside the route it documents."""
    spec.setdefault("responses", {}).update(error_responses(401, 403))
    _paths.setdefault(path, {})[method.lower()] = spec


def schema(name: str, definition: dict[str, Any]) -> None:
    _schemas[name] = definition


def json_body(schema_ref: str | dict[str, Any]) -> dict[str, Any]:
    body = (
        {"$ref": f"#/components/schemas/{schema_ref}"}
        if isinstance(schema_ref, str)
        else schema_ref
    )
    return {"required": True, "content": {"application/json": {"schema": body}}}


def json_response(description: str, schema_ref: str | dict[str, Any]) -> dict[str, Any]:
    body = (
        {"$ref": f"#/components/schemas/{schema_ref}"}
        if isinstance(schema_ref, str)
        else schema_ref
    )
    return {"description": description, "content": {"application/json": {"schema": body}}}


def document(version: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Altavoz API",
            "version": version,
            "description": "Community radio and SMS broadcasting gateway. Authenticate with "
            "`Authorization: Bearer TOKEN` (create one with `altavoz token create NAME`).",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": dict(sorted(_paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": dict(sorted(_schemas.items())),
        },
    }
