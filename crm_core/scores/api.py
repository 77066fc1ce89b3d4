"""``/api/v1/scores`` and ``/api/v1/customers/{id}/scores``: reading scores."""

from __future__ import annotations

from flask import Response
from marshmallow import RAISE, Schema, fields, validate

from ..api.base import ID, ApiBlueprint, crm_host, dumper, json_response
from ..api.records import list_doc, parse_args
from ..auth import current_actor
from ..customers import NotFound
from ..linked import encode_cursor
from . import score_store


class FactorSchema(Schema):
    """One reason behind a score."""

    factor = fields.String()
    impact = fields.Float(metadata={"description": "how strongly it moved the value"})


class ScoreSchema(Schema):
    """A customer's score under one name."""

    customer_id = fields.Integer()
    name = fields.String()
    value = fields.Float()
    computed_at = fields.DateTime()
    model_version = fields.String()
    factors = fields.List(fields.Nested(FactorSchema))


class ScoreListSchema(Schema):
    """The latest scores of one customer."""

    items = fields.List(fields.Nested(ScoreSchema))


class ScorePageSchema(Schema):
    """One page of the latest values of a score."""

    items = fields.List(fields.Nested(ScoreSchema))
    next_cursor = fields.String(allow_none=True)


class ScoreListArgs(Schema):
    """Which score to list, one page at a time."""

    class Meta:
        unknown = RAISE

    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=120),
        metadata={"description": "the score's name, e.g. churn_risk"},
    )
    limit = fields.Integer(metadata={"description": "page size"})
    cursor = fields.String(metadata={"description": "next_cursor of the last page"})


class HistoryArgs(Schema):
    """Which score's history to show."""

    class Meta:
        unknown = RAISE

    history = fields.String(
        validate=validate.Length(min=1, max=120),
        metadata={"description": "a score name: list its past values, newest first"},
    )


def make_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint(
        "api_scores",
        url_prefix=None,
        description="Scores models gave customers, with their factors",
    )

    @blp.route("/scores")
    @blp.doc(**list_doc(ScoreListArgs))
    @blp.response(200, ScorePageSchema)
    @blp.problems(400, 403)
    def list_scores() -> Response:
        """The latest value of one score for each customer you may see"""
        args = parse_args(ScoreListArgs, (int,))
        host, actor = crm_host(), current_actor()
        actor.require("customer.read")
        after = args.cursor[0] if args.cursor else None
        with host.db.connect() as connection:
            items, last = score_store(host).page(
                connection, actor, args.filters["name"], after, args.limit
            )
        body = {
            "items": items,
            "next_cursor": encode_cursor([last]) if last is not None else None,
        }
        return json_response(dumper(ScorePageSchema).dump(body))

    @blp.route(f"/customers/<{ID}:customer_id>/scores")
    @blp.arguments(HistoryArgs, location="query", as_kwargs=True)
    @blp.response(200, ScoreListSchema)
    @blp.problems(400, 404)
    def customer_scores(customer_id: int, history: str | None = None) -> Response:
        """A customer's latest scores, or the past values of one (``history``)"""
        host, actor = crm_host(), current_actor()
        store = score_store(host)
        with host.db.connect() as connection:
            if history:
                items = store.history(connection, actor, customer_id, history)
            else:
                items = store.for_customer(connection, actor, customer_id)
        if items is None:
            raise NotFound(f"customer {customer_id} not found")
        return json_response(dumper(ScoreListSchema).dump({"items": items}))

    return blp
