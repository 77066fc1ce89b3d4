"""A segment of 1M customers, counted and listed: the compiler against hand-written SQL.

The database is a migrated SQLite file with 1,000,000 generated customers,
each with three custom fields like the IBM Telco file's: ``Contract`` (a
choice), ``tenure`` (a whole number) and ``MonthlyCharges`` (a decimal). The
segment is "Contract is Month-to-month AND tenure < 12 AND MonthlyCharges >
70", run as the system (no scope restriction).

The compiler's time covers everything a request does: reading the field
catalogue, checking the rule, compiling it and running the query through
SQLAlchemy. The baseline is the same rule written by hand as SQL with
``json_extract``, run with ``sqlite3`` on the same file. The two run in turn,
several times each; the best time of each counts.

Goal: the compiler takes at most 1.5x the hand-written SQL.

    python bench/segment.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import fresh_host

from crm_core import FieldSpec
from crm_core.host import Host
from crm_core.security import SYSTEM
from crm_core.segments import segment_service

GOAL = 1.5
CONTRACTS = ("Month-to-month", "One year", "Two year")
RULES = {
    "all": [
        {"field": "Contract", "op": "eq", "value": "Month-to-month"},
        {"field": "tenure", "op": "lt", "value": 12},
        {"field": "MonthlyCharges", "op": "gt", "value": 70},
    ]
}
WHERE = """
    deleted_at IS NULL
    AND json_extract(attributes, '$.Contract') = 'Month-to-month'
    AND json_extract(attributes, '$.tenure') < 12
    AND json_extract(attributes, '$.MonthlyCharges') > 70
"""
HAND_COUNT = f"SELECT count(*) FROM core_customer WHERE {WHERE}"
HAND_IDS = f"SELECT id FROM core_customer WHERE {WHERE}"


def populate(host: Host, path: Path, rows: int) -> None:
    """Declare the three fields and write ``rows`` customers with raw inserts."""
    with host.db.transaction() as connection:
        host.fields.declare(
            connection, FieldSpec("Contract", "choice", choices=CONTRACTS), "bench"
        )
        host.fields.declare(connection, FieldSpec("tenure", "integer"), "bench")
        host.fields.declare(connection, FieldSpec("MonthlyCharges", "decimal"), "bench")
    rng = random.Random(5)
    now = "2024-05-01 09:00:00.000000"
    with sqlite3.connect(path) as raw:
        raw.executemany(
            "INSERT INTO core_customer (kind, display_name, emails, phones, addresses,"
            " lifecycle_stage, tags, preferences, attributes, version, created_at,"
            " updated_at) VALUES ('person', ?, '[]', '[]', '[]', 'customer', '[]',"
            " '{}', ?, 1, ?, ?)",
            (
                (f"Customer {i}", json.dumps(_attributes(rng)), now, now)
                for i in range(rows)
            ),
        )
        raw.execute("ANALYZE")


def _attributes(rng: random.Random) -> dict[str, Any]:
    return {
        "Contract": rng.choice(CONTRACTS),
        "tenure": rng.randrange(0, 73),
        "MonthlyCharges": round(rng.uniform(18.0, 119.0), 2),
    }


def interleaved(
    ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int
) -> tuple[list[float], list[float], Any, Any]:
    """Seconds of ``repeat`` runs of each, taken in turn so load hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    results: list[Any] = [None, None]
    for _ in range(repeat):
        for index, work in enumerate((ours, theirs)):
            started = time.perf_counter()
            results[index] = work()
            times[index].append(time.perf_counter() - started)
    return times[0], times[1], results[0], results[1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def compiled(host: Host, ids: bool) -> Callable[[], Any]:
    service = segment_service(host)

    def run() -> Any:
        with host.db.connect() as connection:
            if ids:
                return (
                    connection.execute(service.matching(connection, SYSTEM, RULES))
                    .scalars()
                    .all()
                )
            return service.count(connection, SYSTEM, RULES)

    return run


def hand_written(path: Path, ids: bool) -> Callable[[], Any]:
    def run() -> Any:
        with sqlite3.connect(path) as raw:
            if ids:
                return [row[0] for row in raw.execute(HAND_IDS)]
            return raw.execute(HAND_COUNT).fetchone()[0]

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-segment-"))
    host = fresh_host(folder)
    path = folder / "crm.sqlite3"
    started = time.perf_counter()
    populate(host, path, options.rows)
    print(
        f"{options.rows:,} customers written in {time.perf_counter() - started:.1f} s"
    )
    worst = 0.0
    for label, ids in (("count", False), ("ids", True)):
        ours, theirs, found, expected = interleaved(
            compiled(host, ids), hand_written(path, ids), options.repeat
        )
        same = sorted(found) == sorted(expected) if ids else found == expected
        size = len(found) if ids else found
        ratio = min(ours) / min(theirs)
        worst = max(worst, ratio)
        print(
            f"{label:>5}: compiler {ms(min(ours))}"
            f" (median {ms(statistics.median(ours))}),"
            f" hand-written SQL {ms(min(theirs))}"
            f" (median {ms(statistics.median(theirs))}),"
            f" ratio {ratio:.2f}x; {size:,} customers, same answer: {same}"
        )
    print(
        f"goal: at most {GOAL}x; {'met' if worst <= GOAL else 'NOT met'} ({worst:.2f}x)"
    )
    host.close()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
