"""``/api/v1/search``: records of every searchable type, within the reader's scope."""

from __future__ import annotations

from flask import Response
from marshmallow import RAISE, Schema, fields, validate

from ..api.base import ApiBlueprint, crm_host, dumper, json_response
from ..auth import current_actor
from . import search_index
from .index import MAX_RESULTS


class SearchArgs(Schema):
    """What to look for."""

    class Meta:
        unknown = RAISE

    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "words; each matches the start of a word"},
    )
    type = fields.List(
        fields.String(validate=validate.Length(max=80)),
        metadata={"description": "record types to search (all by default)"},
    )
    limit = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=MAX_RESULTS),
        metadata={"description": f"at most {MAX_RESULTS}"},
    )


class HitSchema(Schema):
    """One record found."""

    record_type = fields.String()
    record_id = fields.Integer()
    label = fields.String(metadata={"description": "what records of this type are"})
    title = fields.String()
    detail = fields.String(metadata={"description": "the start of its indexed text"})
    url = fields.String(metadata={"description": "its page"})


class HitListSchema(Schema):
    """Records found, best first."""

    items = fields.List(fields.Nested(HitSchema))


def make_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint(
        "api_search", url_prefix="/search", description="Full-text search"
    )

    @blp.route("")
    @blp.arguments(SearchArgs, location="query", as_kwargs=True)
    @blp.response(200, HitListSchema)
    @blp.problems(400)
    def search(q: str, limit: int, type: list[str] | None = None) -> Response:
        """Find records you may see by the words in their names and contact points"""
        host = crm_host()
        with host.db.connect() as connection:
            hits = search_index(host).search(
                connection, current_actor(), q, type or (), limit
            )
        return json_response(dumper(HitListSchema).dump({"items": hits}))

    return blp
