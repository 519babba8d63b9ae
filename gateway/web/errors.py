"""Error answers: JSON `{error: {code, message}}` under /api, a small page in the panel."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
}


class ApiError(Exception):
    """A refusal with an HTTP status, a stable machine code and a sentence for people."""

    def __init__(self, status: int, message: str, *, code: str | None = None, **extra: object):
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.extra = extra


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in {"/metrics", "/healthz"}


def json_error(status: int, code: str, message: str, **extra: object) -> tuple[Response, int]:
    body: dict[str, object] = {"code": code, "message": message, **extra}
    return jsonify(error=body), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> tuple[Response, int]:
        return json_error(error.status, error.code, error.message, **error.extra)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> tuple[Response | str, int]:
        if wants_json():
            return json_error(400, "csrf", error.description or "CSRF check failed")
        return render_template("error.html", status=400, message=error.description), 400

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response, int] | HTTPException:
        status = error.code or 500
        if status < 400:
            return error
        if wants_json():
            response, _ = json_error(status, CODES.get(status, "error"), error.description or "")
        else:
            page = render_template("error.html", status=status, message=error.description)
            response = make_response(page)
        # Keep what the exception adds for clients, e.g. `Allow` on a 405.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response | str, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return json_error(500, "internal", "internal error; the incident was logged")
        message = InternalServerError.description
        return render_template("error.html", status=500, message=message), 500
