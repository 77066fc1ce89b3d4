"""The score store: per-customer scores with history, factors and model versions.

Plugins write scores in batches through :func:`score_store`::

    from crm_core.scores import Score, score_store

    with host.db.transaction() as connection:
        score_store(host).write(
            connection,
            [Score(customer_id, "churn_risk", 0.82, "churn-2024.1",
                   [{"factor": "tenure", "impact": 0.31}])],
        )
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .store import Factor, Score, ScoreError, ScoreStore, ScoresUpdated

if TYPE_CHECKING:
    from ..host import Host

__all__ = [
    "Factor",
    "Score",
    "ScoreError",
    "ScoreStore",
    "ScoresUpdated",
    "score_store",
]


def score_store(host: Host) -> ScoreStore:
    """The score store of ``host`` (made on first use)."""
    store = host.extensions.get("scores")
    if store is None:
        store = host.extensions["scores"] = ScoreStore(host)
    assert isinstance(store, ScoreStore)
    return store
