"""What every API blueprint shares: problem responses, ETags, request reading.

Views raise the services' exceptions (:class:`~crm_core.customers.NotFound`,
:class:`~crm_core.security.PermissionDenied`, ...); the handlers installed on
each blueprint turn them into ``application/problem+json`` responses.
"""

from __future__ import annotations

import functools
import http
import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema
from sqlalchemy.exc import DataError, IntegrityError, StatementError

from .. import problems
from ..customers import Blocked, InvalidInput, NotFound, VersionConflict
from ..fields import FieldError
from ..relations import DeleteBlocked
from ..security import PermissionDenied
from ..storage.schema import SYSTEM_FIELDS
from .schemas import ProblemSchema

if TYPE_CHECKING:
    from ..host import Host

log = logging.getLogger("crm_core.api")

PROBLEM = problems.PROBLEM_TYPE
BEARER = "bearerAuth"
ANY_VERSION = "*"
#: The URL converter of record ids: larger numbers are no route (404).
ID = "int(max=9223372036854775807)"
F = TypeVar("F", bound=Callable[..., Any])


class BadParameter(ValueError):
    """A query parameter or header is not acceptable (400); ``errors`` names it."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        self.errors = dict(errors)
        super().__init__(_summary(self.errors))


class Conflict(RuntimeError):
    """The request clashes with the record's state (409)."""

    def __init__(self, detail: str, errors: Mapping[str, Any] | None = None) -> None:
        self.errors = dict(errors or {})
        super().__init__(detail)


def as_conflict(error: InvalidInput) -> Conflict:
    """An input refused because of the record's state (restoring a live one)."""
    detail = "; ".join(str(m) for ms in error.errors.values() for m in ms)
    return Conflict(detail, error.errors)


class PreconditionRequired(RuntimeError):
    """A change was sent without ``If-Match`` (428)."""


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose errors are problems and are documented so.

    ``record_schema`` dumps the ``current`` record of a 412 response.
    """

    def __init__(
        self,
        name: str,
        *,
        url_prefix: str | None,
        description: str,
        record_schema: type[Schema] | None = None,
    ) -> None:
        super().__init__(name, __name__, url_prefix=url_prefix, description=description)
        _install_error_handlers(self, record_schema)

    def register_views_in_doc(
        self, api: Any, app: Flask, spec: Any, *, name: str, parameters: Any
    ) -> None:
        _register_components(spec)
        super().register_views_in_doc(api, app, spec, name=name, parameters=parameters)

    def _prepare_response_doc(
        self, doc: Any, doc_info: Any, *, api: Any, spec: Any, **kwargs: Any
    ) -> Any:
        doc = super()._prepare_response_doc(doc, doc_info, api=api, spec=spec, **kwargs)
        # Every error is a problem document, not flask-smorest's own shape.
        doc.setdefault("responses", {})["default"] = "Problem"
        return doc

    def problems(self, *statuses: int) -> Callable[[F], F]:
        """Document problem responses with ``statuses`` on a view."""

        def decorate(view: F) -> F:
            for status in statuses:
                view = self.alt_response(
                    status,
                    schema=ProblemSchema,
                    content_type=PROBLEM,
                    description=_ERROR_TEXT.get(status, http.HTTPStatus(status).phrase),
                )(view)
            return view

        return decorate


_ERROR_TEXT = {
    400: "A query parameter or header is not acceptable; `errors` names it",
    403: "The role lacks the permission named in `detail`",
    404: "No such record, or not one you may see",
    409: "The record's state does not allow this",
    412: "The record changed since it was read; `current` holds it now",
    422: "The body is not acceptable; `errors` names each field",
    428: "Send If-Match with the ETag of the record you read",
}


def _register_components(spec: Any) -> None:
    components = spec.components
    if "Problem" not in components.schemas:
        components.schema("Problem", schema=ProblemSchema)
    if "Problem" not in components.responses:
        components.response(
            "Problem",
            {
                "description": "An error, as application/problem+json",
                "content": {PROBLEM: {"schema": "Problem"}},
            },
        )
    if BEARER not in components.security_schemes:
        components.security_scheme(
            BEARER,
            {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token made with 'crm tokens create'",
            },
        )
        spec.options.setdefault("security", [{BEARER: []}])


# -- error handlers ---------------------------------------------------------


def _install_error_handlers(
    blueprint: Blueprint, record_schema: type[Schema] | None
) -> None:
    def conflict_of_versions(error: VersionConflict) -> Response:
        current = dumper(record_schema).dump(error.current) if record_schema else {}
        response = problem(412, str(error), current=current)
        response.headers["ETag"] = etag(error.current["version"])
        return response

    handlers: dict[type[Exception], Callable[[Any], Response]] = {
        BadParameter: lambda e: problem(400, None, errors=e.errors),
        InvalidInput: lambda e: problem(422, None, errors=_explained(e.errors)),
        NotFound: lambda e: problem(404, str(e)),
        PermissionDenied: lambda e: problem(403, str(e)),
        VersionConflict: conflict_of_versions,
        Blocked: lambda e: problem(409, str(e)),
        DeleteBlocked: lambda e: problem(409, str(e)),
        FieldError: lambda e: problem(409, str(e)),
        Conflict: lambda e: problem(409, str(e), errors=e.errors or None),
        PreconditionRequired: lambda e: problem(428, str(e)),
        IntegrityError: _integrity_error,
        OverflowError: _out_of_range,
        StatementError: _out_of_range,
    }
    for exception, handler in handlers.items():
        blueprint.register_error_handler(exception, handler)


def _integrity_error(error: IntegrityError) -> Response:
    # The driver's message can quote stored values, so only its kind is logged.
    log.warning("write refused by a database constraint on %s", request.path)
    return problem(
        409, "the change clashes with an existing record (a unique value is taken)"
    )


def _out_of_range(error: Exception) -> Response:
    """A value the database cannot hold (a huge number, a NUL): the caller's fault."""
    if (
        isinstance(error, StatementError)
        and not isinstance(error, DataError)
        and not isinstance(error.orig, OverflowError | ValueError)
    ):
        raise error
    log.warning("value out of range on %s %s", request.method, request.path)
    return problem(
        400 if request.method == "GET" else 422,
        "a value in the request is out of the range the database can store",
    )


def problem(status: int, detail: str | None, **extra: Any) -> Response:
    """A problem response; ``errors`` (when given) also makes the detail."""
    errors = extra.get("errors")
    if errors is None:
        extra.pop("errors", None)
    elif detail is None:
        detail = _summary(errors)
    return problems.problem(status, http.HTTPStatus(status).phrase, detail, **extra)


def _explained(errors: Mapping[str, Any]) -> dict[str, Any]:
    explained = {}
    for key, messages in errors.items():
        if key in SYSTEM_FIELDS and messages == ["Unknown field."]:
            messages = [f"{key!r} is set by the server; leave it out"]
        elif messages == ["Unknown field."]:
            messages = [f"unknown field {key!r}; see the OpenAPI document for fields"]
        explained[key] = messages
    return explained


def _summary(errors: Mapping[str, Any]) -> str:
    parts = []
    for name, messages in list(errors.items())[:5]:
        text = messages if isinstance(messages, str) else "; ".join(map(str, messages))
        parts.append(f"{name}: {text}")
    return "; ".join(parts)


# -- requests and responses -------------------------------------------------


def crm_host() -> Host:
    """The host behind the current app."""
    host: Host = current_app.extensions["crm"]
    return host


@functools.cache
def dumper(schema: type[Schema]) -> Schema:
    """One shared instance of ``schema``: building one per response is costly."""
    return schema()


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return current_app.response_class(
        current_app.json.dumps(data),
        status=status,
        headers=dict(headers or {}),
        mimetype="application/json",
    )


def etag(version: int) -> str:
    """The strong ETag of a record at ``version``."""
    return f'"{version}"'


def record_response(
    data: Mapping[str, Any],
    schema: type[Schema],
    status: int = 200,
    location: str | None = None,
) -> Response:
    """One record with its ETag (and ``Location`` when created)."""
    headers = {"ETag": etag(data["version"])}
    if location:
        headers["Location"] = location
    return json_response(dumper(schema).dump(data), status, headers)


def not_modified(version: int) -> Response | None:
    """A 304 when ``If-None-Match`` already names ``version``."""
    raw = request.headers.get("If-None-Match")
    if raw is None:
        return None
    tags = {part.strip().removeprefix("W/") for part in raw.split(",")}
    if "*" in tags or etag(version) in tags:
        return current_app.response_class(status=304, headers={"ETag": etag(version)})
    return None


def if_match(*, required: bool) -> frozenset[int] | str | None:
    """The versions ``If-Match`` names, ``"*"``, or ``None`` when absent."""
    raw = (request.headers.get("If-Match") or "").strip()
    if not raw:
        if required:
            raise PreconditionRequired(
                'send If-Match: "<version>" with the ETag of the record you read'
            )
        return None
    if raw == ANY_VERSION:
        return ANY_VERSION
    versions = set()
    for part in raw.split(","):
        tag = part.strip()
        if tag.startswith('"') and tag.endswith('"') and len(tag) >= 2:
            if tag[1:-1].isdigit():
                versions.add(int(tag[1:-1]))
        elif not tag.startswith('W/"'):
            raise BadParameter(
                {"If-Match": [f'{tag!r} is not an entity tag; send it as "3"']}
            )
    return frozenset(versions)


def expected_version(
    tags: frozenset[int] | str | None, current: Callable[[], int]
) -> int | None:
    """The version a change must find: one ``If-Match`` names, or 0 (never)."""
    if tags is None or tags == ANY_VERSION:
        return None
    assert isinstance(tags, frozenset)
    if len(tags) == 1:
        return next(iter(tags))
    now = current()
    return now if now in tags else 0


def request_body() -> Any:
    """The JSON body, or a 400 naming ``_body``; NUL characters are refused."""
    data = request.get_data(cache=True)
    if not data.strip():
        return {}
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BadParameter({"_body": ["the body is not valid JSON"]}) from None
    found = _nul_in(body, "")
    if found is not None:
        raise InvalidInput({found or "_body": ["NUL characters are not allowed"]})
    return body


def _nul_in(value: Any, path: str) -> str | None:
    """The dotted path of the first text holding a NUL character, if any."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, item in items:
        here = f"{path}.{key}" if path else str(key)
        if "\x00" in str(key):
            return here
        found = _nul_in(item, here)
        if found is not None:
            return found
    return None


def list_args() -> dict[str, list[str]]:
    """The query string, every value as a list; NUL characters are refused."""
    args = request.args.to_dict(flat=False)
    for key, values in args.items():
        if "\x00" in key or any("\x00" in value for value in values):
            raise BadParameter({key: ["NUL characters are not allowed"]})
    return args


def page_limits() -> dict[str, int]:
    config = crm_host().config
    return {"page_max": config.page_size_max, "page_default": config.page_size_default}


# -- documentation pieces ---------------------------------------------------


def header(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {
        "in": "header",
        "name": name,
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


IF_MATCH = header(
    "If-Match", 'The ETag of the record you read, e.g. "3"', required=True
)
IF_MATCH_OPTIONAL = header(
    "If-Match", "The ETag of the record you read; refused (412) when stale"
)
IF_NONE_MATCH = header("If-None-Match", "An ETag; 304 when the record still has it")
IDEMPOTENCY_KEY = header(
    "Idempotency-Key",
    "Up to 200 characters; a retry with the same key and body gets the first "
    "response again instead of a second write",
)
ETAG_HEADER = {
    "ETag": {"description": "The record's version", "schema": {"type": "string"}}
}
LOCATION_HEADER = {
    "Location": {"description": "The new record's URL", "schema": {"type": "string"}}
}
CREATED_HEADERS = {**ETAG_HEADER, **LOCATION_HEADER}


def json_body(schema: type[Schema], description: str) -> dict[str, Any]:
    return {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
