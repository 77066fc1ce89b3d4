"""Errors as ``application/problem+json`` (RFC 9457) for every API route."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("crm_core.api")

PROBLEM_TYPE = "application/problem+json"


def problem(
    status: int, title: str, detail: str | None = None, **extra: Any
) -> Response:
    """A problem response; ``extra`` adds members such as ``errors`` or ``current``."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    return response


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    """Turn HTTP errors and unexpected exceptions under ``/api/`` into problems."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if not _wants_problem():
            return error
        extra: dict[str, Any] = {}
        data = getattr(error, "data", None)
        if isinstance(data, dict) and "messages" in data:
            # webargs/flask-smorest put field errors here, keyed by location.
            extra["errors"] = _flatten_locations(data["messages"])
        detail = error.description if not extra else _summary(extra["errors"])
        response = problem(error.code or 500, error.name, detail, **extra)
        for key, value in (getattr(error, "headers", None) or {}).items():
            response.headers[key] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not _wants_problem():
            return Response("Internal error; it has been logged.", status=500)
        return problem(500, "Internal Server Error", "the error has been logged")


def _flatten_locations(messages: Any) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for location, fields in (messages or {}).items():
        if isinstance(fields, dict):
            for name, value in fields.items():
                flat[str(name) if location == "json" else f"{location}.{name}"] = value
        else:
            flat[location] = fields
    return flat


def _summary(errors: dict[str, Any]) -> str:
    parts = []
    for name, messages in list(errors.items())[:5]:
        text = (
            messages
            if isinstance(messages, str)
            else "; ".join(map(str, _leaves(messages)))
        )
        parts.append(f"{name}: {text}")
    return "; ".join(parts)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]
