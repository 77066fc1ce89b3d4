"""Importing 1M generated activity rows into SQLite, against raw sqlite3 executemany.

The baseline inserts the same rows (already converted to the driver's form)
into ``core_activity`` of an identically migrated database with one
``executemany`` in one transaction. The import reads the CSV file, converts
and checks every cell, links each row to its customer by external id, gives
each row its content identity and writes in batches. The import runs in a
child process so its peak memory is its own.

Goals: at most 2.5x the baseline's time; peak memory at most 250 MB above the
idle process.

    python bench/import_activities.py --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import multiprocessing
import random
import sqlite3
import tempfile
from pathlib import Path

from common import current_rss_mb, fresh_host, peak_rss_mb, timed

from crm_core.importing import mapping_from_arguments
from crm_core.importing.pipeline import ImportRequest, run_import
from crm_core.importing.rules import ValueOptions
from crm_core.security import SYSTEM
from crm_core.storage import schema

CUSTOMERS = 1000
KINDS = ("call", "email_sent", "meeting", "page_visit")
CHANNELS = ("phone", "email", "in_person", "web")


def generate(path: Path, rows: int) -> None:
    rng = random.Random(5)
    start = dt.datetime(2024, 1, 1)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["customer", "channel", "kind", "when", "subject"])
        for i in range(rows):
            moment = start + dt.timedelta(seconds=rng.randrange(0, 30_000_000))
            pick = rng.randrange(4)
            out.writerow(
                [
                    f"C{rng.randrange(CUSTOMERS):05d}",
                    CHANNELS[pick],
                    KINDS[pick],
                    moment.strftime("%Y-%m-%d %H:%M:%S"),
                    f"Touchpoint {i % 97}",
                ]
            )


def add_customers(host) -> dict[str, int]:
    now = dt.datetime.now(dt.UTC)
    with host.db.transaction() as connection:
        connection.execute(
            schema.customer.insert(),
            [
                {
                    "kind": "person",
                    "name": f"Customer {i}",
                    "display_name": f"Customer {i}",
                    "external_id": f"C{i:05d}",
                    "emails": [],
                    "phones": [],
                    "addresses": [],
                    "tags": [],
                    "preferences": {},
                    "attributes": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(CUSTOMERS)
            ],
        )
        rows = connection.execute(schema.customer.select()).mappings().all()
    return {row["external_id"]: row["id"] for row in rows}


def baseline(path: Path, ids: dict[str, int]) -> float:
    host = fresh_host()
    add_customers(host)
    database = host.db.url.removeprefix("sqlite:///")
    host.close()
    rows = []
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    with path.open(newline="") as handle:
        for n, (customer, channel, kind, when, subject) in enumerate(
            csv.reader(handle)
        ):
            if n == 0:
                continue
            key = hashlib.blake2b(f"{n}".encode(), digest_size=16).digest()
            rows.append(
                (
                    ids[customer],
                    channel,
                    kind,
                    when + ".000000",
                    subject,
                    key,
                    1,
                    1,
                    now,
                    now,
                )
            )
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    sql = (
        "INSERT INTO core_activity (customer_id, channel, kind, occurred_at, subject, "
        "source_key, import_id, version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)"
    )

    def insert() -> None:
        connection.execute("BEGIN")
        connection.executemany(sql, rows)
        connection.execute("COMMIT")

    seconds, _ = timed(insert)
    connection.close()
    return seconds


def import_in_child(path: str, queue: multiprocessing.Queue) -> None:
    host = fresh_host()
    add_customers(host)
    idle = current_rss_mb()
    request = ImportRequest(
        "activities",
        Path(path),
        mapping_from_arguments(["customer=customer_external_id", "when=occurred_at"]),
        values=ValueOptions(datetime_format="%Y-%m-%d %H:%M:%S", timezone="UTC"),
    )
    seconds, report = timed(lambda: run_import(host, SYSTEM, request))
    queue.put(
        {
            "seconds": seconds,
            "created": report.created,
            "errors": report.error_count,
            "idle_mb": idle,
            "peak_mb": peak_rss_mb(),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-activities-"))
    path = folder / "activities.csv"
    generate(path, args.rows)
    host = fresh_host()
    ids = add_customers(host)
    host.close()
    raw = baseline(path, ids)
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    child = spawn.Process(target=import_in_child, args=(str(path), queue))
    child.start()
    result = queue.get()
    child.join()
    assert result["created"] == args.rows and result["errors"] == 0, result
    ratio = result["seconds"] / raw
    memory = result["peak_mb"] - result["idle_mb"]
    print(
        json.dumps(
            {
                "rows": args.rows,
                "raw_executemany_s": round(raw, 2),
                "import_s": round(result["seconds"], 2),
                "time_ratio": round(ratio, 2),
                "time_goal": 2.5,
                "peak_memory_above_idle_mb": round(memory, 1),
                "memory_goal_mb": 250,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
