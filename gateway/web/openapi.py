"""/api/v1 described once: pydantic models check each request and make the OpenAPI document.

An endpoint declares its body, query and answers with `@operation(...)`. The same models
check the request before the view runs (400 for a body that is not JSON, 415 for another
content type, 422 naming the field for anything a model refuses) and become the document
served at /api/v1/openapi.json, built from the app's URL map, so the two cannot disagree.
Every status the machinery itself can answer (401/403 from the token check, 404 for a path
id that matches nothing, 413 for a body over the upload limit) is added to each operation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from http import HTTPStatus
from typing import Annotated, Any, TypeVar

from flask import Flask, Response, jsonify, request
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from pydantic_core import from_json

from gateway import date_range
from gateway.web.errors import ApiError
from gateway.web.identifiers import Id, IdConverter, id_schema

F = TypeVar("F", bound=Callable[..., Any])
PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
# What an answer carries: a JSON model, the media type of a text body, or nothing (204).
Answer = type[BaseModel] | str | None
# Where models_json_schema put each (model, mode) among the components.
Refs = Mapping[tuple[Any, JsonSchemaMode], dict[str, Any]]
# A time in an answer, as the domain's `isoformat()` wrote it.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


def _plausible(moment: datetime) -> datetime:
    # The station's date range (gateway.date_range), the same as the panel's.
    date_range.check_in_range(moment, what="the date", error=ValueError)
    return moment


# A time in a request: ISO 8601 with a UTC offset, in a plausible year.
Moment = Annotated[
    AwareDatetime,
    AfterValidator(_plausible),
    Field(examples=["2026-11-30T07:00:00-06:00"]),
]
# A string pattern for text that must hold more than spaces (JSON Schema patterns search).
NOT_BLANK = r"\S"
# An empty filter in a query string means no filter.
Optional = BeforeValidator(lambda value: value or None)


class RequestModel(BaseModel):
    """A body, query or form: unknown fields are refused, so a typo is not silently ignored."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class QueryModel(RequestModel):
    """Query parameters: unknown ones are ignored (caches and proxies add their own)."""

    model_config = ConfigDict(extra="ignore")


class ResponseModel(BaseModel):
    """An answer: fields may be added later without breaking clients that ignore them."""

    model_config = ConfigDict(extra="allow")


class Created(ResponseModel):
    id: Id


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str
    message: str


class Error(BaseModel):
    """Every refusal: `{error: {code, message}}`, sometimes with more keys (e.g. `conflict`)."""

    error: ErrorDetail


@dataclass(frozen=True)
class Operation:
    summary: str
    responses: Mapping[int, Answer]
    body: type[BaseModel] | None = None
    form: type[BaseModel] | None = None
    files: tuple[str, ...] = ()
    query: type[BaseModel] | None = None
    errors: frozenset[int] = field(default_factory=frozenset)
    public: bool = False
    text_body: str | None = None

    def error_statuses(self, has_path_parameters: bool) -> list[int]:
        statuses = set(self.errors)
        if not self.public:
            statuses |= {401, 403}
        if self.body is not None or self.form is not None or self.text_body is not None:
            statuses |= {400, 413, 415, 422}
        if self.query is not None:
            statuses.add(422)
        if has_path_parameters:
            statuses.add(404)
        return sorted(statuses - set(self.responses))


def operation(
    summary: str,
    *,
    responses: Mapping[int, Answer],
    body: type[BaseModel] | None = None,
    form: type[BaseModel] | None = None,
    files: Iterable[str] = (),
    query: type[BaseModel] | None = None,
    errors: Iterable[int] = (),
    public: bool = False,
    text_body: str | None = None,
) -> Callable[[F], F]:
    """Validate the request with these models and document the endpoint from them.

    The view receives the validated models as keyword arguments `body`, `form` and `query`.
    `text_body` is the media type of a body that is not JSON (a CAP message's XML): only the
    content type is checked here (415), the view reads and checks the body itself.
    """
    spec = Operation(
        summary=summary,
        responses=dict(responses),
        body=body,
        form=form,
        files=tuple(files),
        query=query,
        errors=frozenset(errors),
        public=public,
        text_body=text_body,
    )

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if spec.body is not None:
                kwargs["body"] = _json_body(spec.body)
            if spec.form is not None:
                kwargs["form"] = _form(spec.form, spec.files)
            if spec.query is not None:
                kwargs["query"] = _validated(spec.query, request.args.to_dict())
            if spec.text_body is not None and request.mimetype not in _similar(spec.text_body):
                raise ApiError(415, f"send the body as {spec.text_body}")
            return view(*args, **kwargs)

        wrapper.openapi = spec  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _similar(media_type: str) -> frozenset[str]:
    """A media type and the older names clients still send for it."""
    return frozenset({media_type, *({"text/xml"} if media_type == "application/xml" else ())})


def reply(answer: BaseModel, status: int = 200) -> tuple[Response, int]:
    """Answer with a response model, serialised exactly as the document describes it."""
    return jsonify(answer.model_dump(mode="json")), status


def describe(error: ValidationError) -> str:
    """One line naming each refused field, e.g. `'start': Input should be a valid datetime`."""
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:5]:
        message = item["msg"].removeprefix("Value error, ")
        where = ".".join(str(part) for part in item["loc"])[:80]
        # A model validator's message names its fields itself.
        parts.append(f"'{where}': {message}" if where else message)
    return "; ".join(parts)


def _validated(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, describe(exc)) from None


def _json_body(model: type[BaseModel]) -> BaseModel:
    if not request.is_json:
        raise ApiError(415, "send the body as application/json")
    data = request.get_data(cache=True)
    try:
        # Strict JSON: no NaN/Infinity, no lone surrogates, bounded nesting.
        from_json(data, allow_inf_nan=False)
    except ValueError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None
    try:
        return model.model_validate_json(data, strict=True)
    except ValidationError as exc:
        raise ApiError(422, describe(exc)) from None


def _form(model: type[BaseModel], files: tuple[str, ...]) -> BaseModel:
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "send the body as multipart/form-data with a 'file' part")
    if not request.files and not request.form and (request.content_length or 0) > 0:
        # Werkzeug drops the whole form when a part header is not UTF-8; say so.
        raise ApiError(
            400,
            "the multipart body could not be read: part headers must be UTF-8 "
            "(send other file names as filename*=UTF-8''...)",
        )
    missing = [name for name in files if name not in request.files]
    if missing:
        raise ApiError(422, f"'{missing[0]}': a file part is required")
    return _validated(model, request.form.to_dict())


def document(app: Flask, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every /api/v1 route that declares an `operation`."""
    found: list[tuple[str, str, Operation, list[dict[str, Any]]]] = []
    for rule in app.url_map.iter_rules():
        spec = getattr(app.view_functions.get(rule.endpoint), "openapi", None)
        if not isinstance(spec, Operation) or not rule.rule.startswith(PREFIX + "/"):
            continue
        path, parameters = _path(rule.rule[len(PREFIX) :], app)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((path, method.lower(), spec, parameters))
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Error, "serialization")]
    for spec in (item[2] for item in found):
        if spec.body is not None:
            wanted.append((spec.body, "validation"))
        wanted += [(m, "serialization") for m in spec.responses.values() if isinstance(m, type)]
    refs, definitions = models_json_schema(list(dict.fromkeys(wanted)), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for path, method, spec, parameters in sorted(found, key=lambda item: item[:2]):
        paths.setdefault(path, {})[method] = _operation_document(spec, parameters, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Altavoz API",
            "version": version,
            "description": "Community radio and SMS broadcasting gateway. Authenticate with "
            "`Authorization: Bearer TOKEN` (create one with `altavoz token create NAME`).",
        },
        "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": dict(sorted(definitions.get("$defs", {}).items())),
        },
    }


_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _path(rule: str, app: Flask) -> tuple[str, list[dict[str, Any]]]:
    """`/recordings/<int:recording_id>` -> `/recordings/{recording_id}` and its parameter."""
    parameters = []
    for match in _VARIABLE.finditer(rule):
        converter = app.url_map.converters.get(match["converter"] or "default")
        is_id = isinstance(converter, type) and issubclass(converter, IdConverter)
        schema = id_schema() if is_id else {"type": "string", "minLength": 1}
        parameters.append({"name": match["name"], "in": "path", "required": True, "schema": schema})
    return _VARIABLE.sub(lambda match: "{" + match["name"] + "}", rule), parameters


def _operation_document(
    spec: Operation,
    path_parameters: list[dict[str, Any]],
    refs: Refs,
) -> dict[str, Any]:
    parameters = list(path_parameters)
    if spec.query is not None:
        schema = spec.query.model_json_schema(ref_template=REF)
        required = set(schema.get("required", []))
        parameters += [
            {"name": name, "in": "query", "required": name in required, "schema": field_schema}
            for name, field_schema in schema["properties"].items()
        ]
    result: dict[str, Any] = {"summary": spec.summary}
    if parameters:
        result["parameters"] = parameters
    if spec.body is not None:
        content = {"application/json": {"schema": refs[(spec.body, "validation")]}}
        result["requestBody"] = {"required": True, "content": content}
    if spec.form is not None:
        result["requestBody"] = {"required": True, "content": _form_content(spec, refs)}
    if spec.text_body is not None:
        content = {spec.text_body: {"schema": {"type": "string"}}}
        result["requestBody"] = {"required": True, "content": content}
    responses = {
        str(status): _answer(status, answer, refs) for status, answer in spec.responses.items()
    }
    error = {"application/json": {"schema": refs[(Error, "serialization")]}}
    for status in spec.error_statuses(bool(path_parameters)):
        responses[str(status)] = {"description": HTTPStatus(status).phrase, "content": error}
    result["responses"] = dict(sorted(responses.items()))
    if spec.public:
        result["security"] = []
    return result


def _form_content(spec: Operation, refs: Refs) -> dict[str, Any]:
    """A multipart body: the form model's fields plus the file parts."""
    assert spec.form is not None
    schema = spec.form.model_json_schema(ref_template=REF)
    schema["properties"] = {
        **{name: {"type": "string", "format": "binary"} for name in spec.files},
        **schema["properties"],
    }
    schema["required"] = [*spec.files, *schema.get("required", [])]
    schema.pop("title", None)
    return {"multipart/form-data": {"schema": schema}}


def _answer(
    status: int,
    answer: Answer,
    refs: Refs,
) -> dict[str, Any]:
    described: dict[str, Any] = {"description": HTTPStatus(status).phrase}
    if isinstance(answer, str):
        described["content"] = {answer: {"schema": {"type": "string"}}}
    elif answer is not None:
        described["content"] = {"application/json": {"schema": refs[(answer, "serialization")]}}
    return described
