"""The score store: batch writes, history, the latest value, events and scoped reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crm_core.scores import Score, ScoreError, score_store

API = "/api/v1"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def customers(crm_host, crm_actor):
    """Two customers owned by an agent of team North, one by an agent of South."""
    north = crm_actor("agent", team="North")
    south = crm_actor("agent", team="South")
    made = {}
    with crm_host.db.transaction() as connection:
        for key, actor in (("ana", north), ("bo", north), ("cy", south)):
            made[key] = crm_host.customers.create(connection, actor, {"name": key})
    made["north"], made["south"] = north, south
    return made


def write(host, *scores):
    with host.db.transaction() as connection:
        return score_store(host).write(connection, list(scores))


def test_write_keeps_history_and_the_latest_value(crm_host, customers, crm_actor):
    """Every value is kept; the latest one wins even when an older one arrives later."""
    ana = customers["ana"]["id"]
    write(crm_host, Score(ana, "churn_risk", "0.2", "m1", computed_at=T0))
    write(
        crm_host,
        Score(
            ana,
            "churn_risk",
            0.7,
            "m2",
            [{"factor": "tenure", "impact": 0.5}],
            T0 + timedelta(days=2),
        ),
    )
    write(
        crm_host,
        Score(ana, "churn_risk", "0.4", "m1", computed_at=T0 + timedelta(days=1)),
    )
    admin = crm_actor("admin")
    store = score_store(crm_host)
    with crm_host.db.connect() as connection:
        latest = store.for_customer(connection, admin, ana)
        history = store.history(connection, admin, ana, "churn_risk")
    assert [(row["value"], row["model_version"]) for row in latest] == [
        (Decimal("0.7"), "m2")
    ]
    assert latest[0]["factors"] == [{"factor": "tenure", "impact": 0.5}]
    assert [row["value"] for row in history] == [
        Decimal("0.7"),
        Decimal("0.4"),
        Decimal("0.2"),
    ]


def test_a_batch_publishes_one_event_per_score_with_the_customers(
    crm_host, customers, crm_events
):
    """A batch of two names gives two score.updated events listing their customers."""
    ana, bo = customers["ana"]["id"], customers["bo"]["id"]
    written = write(
        crm_host,
        Score(ana, "churn_risk", 0.1, "m1"),
        Score(bo, "churn_risk", 0.9, "m1"),
        Score(bo, "rfm.recency", 4, "rfm-1"),
    )
    assert written == 3
    events = crm_events.events("score.updated")
    payloads = sorted(
        (e["payload"]["score"], e["payload"]["customer_ids"]) for e in events
    )
    assert payloads == [("churn_risk", sorted([ana, bo])), ("rfm.recency", [bo])]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "Churn Risk", "value": 1}, "score name 'Churn Risk'"),
        ({"name": "churn", "value": "high"}, "'high' is not a number"),
        ({"name": "churn", "value": float("nan")}, "not a finite number"),
    ],
)
def test_bad_scores_are_refused_by_name(kwargs, message):
    """A malformed name or a value that is not a finite number is refused."""
    with pytest.raises(ScoreError, match=message):
        Score(1, **kwargs)


def test_reads_apply_the_record_scope(crm_host, customers):
    """An agent of team North sees North's scores, not South's."""
    ids = [customers[k]["id"] for k in ("ana", "bo", "cy")]
    write(crm_host, *[Score(i, "churn_risk", 0.5, "m1") for i in ids])
    store = score_store(crm_host)
    north = customers["north"]
    with crm_host.db.connect() as connection:
        page, after = store.page(connection, north, "churn_risk", None, 10)
        hidden = store.for_customer(connection, north, customers["cy"]["id"])
    assert [row["customer_id"] for row in page] == ids[:2] and after is None
    assert hidden is None


def test_api_lists_scores_by_name_and_per_customer(crm_host, crm_api, customers):
    """The API pages through one score and shows a customer's latest scores."""
    ids = [customers[k]["id"] for k in ("ana", "bo", "cy")]
    write(
        crm_host, *[Score(i, "churn_risk", 0.25 * n, "m1") for n, i in enumerate(ids)]
    )
    admin = crm_api("admin")
    first = admin.get(f"{API}/scores?name=churn_risk&limit=2").get_json()
    assert [item["customer_id"] for item in first["items"]] == ids[:2]
    rest = admin.get(f"{API}/scores?name=churn_risk&cursor={first['next_cursor']}")
    assert [item["customer_id"] for item in rest.get_json()["items"]] == ids[2:]
    one = admin.get(f"{API}/customers/{ids[1]}/scores").get_json()
    assert one["items"][0]["value"] == 0.25 and one["items"][0]["name"] == "churn_risk"
    assert admin.get(f"{API}/scores").status_code == 400


def test_api_hides_scores_of_customers_out_of_scope(crm_host, crm_api, customers):
    """A customer outside the agent's scope answers 404 and is left out of lists."""
    cy = customers["cy"]["id"]
    write(crm_host, Score(cy, "churn_risk", 0.5, "m1"))
    agent = crm_api("agent", team="North")
    assert agent.get(f"{API}/customers/{cy}/scores").status_code == 404
    assert agent.get(f"{API}/scores?name=churn_risk").get_json()["items"] == []
