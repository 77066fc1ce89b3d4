"""Importing 100k generated customers with an e-mail and a phone each, matched on e-mail.

Baseline: raw sqlite3 ``executemany`` of the same customer rows into
``core_customer``, plus the time email-validator and phonenumbers alone take
to check and normalise the same values (one call per value, as a program
using those libraries directly would make). The import reads the CSV,
validates and normalises every e-mail and phone with those libraries, looks
up existing customers by e-mail and writes in batches.

Goal: the import takes at most 1.5x the baseline.

    python bench/import_customers.py --rows 100000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import sqlite3
import tempfile
from pathlib import Path

import phonenumbers
from common import fresh_host, timed
from email_validator import validate_email

from crm_core.importing import mapping_from_arguments
from crm_core.importing.pipeline import ImportRequest, run_import
from crm_core.importing.rules import ValueOptions
from crm_core.security import SYSTEM

FIRST = ("ana", "ben", "chen", "dana", "emil", "fatima", "goran", "hana", "ivan", "jia")


def generate(path: Path, rows: int) -> list[tuple[str, str, str]]:
    rng = random.Random(11)
    records = []
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["name", "email", "phone"])
        for i in range(rows):
            first = rng.choice(FIRST)
            email = f"{first.title()}.{i}@Example{i % 50}.com"
            phone = f"030 {rng.randrange(1000000, 9999999)}"
            out.writerow([f"{first.title()} {i}", email, phone])
            records.append((f"{first.title()} {i}", email, phone))
    return records


def libraries(
    records: list[tuple[str, str, str]],
) -> tuple[float, list[tuple[str, str]]]:
    def work() -> list[tuple[str, str]]:
        done = []
        for _name, email, phone in records:
            address = validate_email(
                email, check_deliverability=False
            ).normalized.lower()
            number = phonenumbers.format_number(
                phonenumbers.parse(phone, "DE"), phonenumbers.PhoneNumberFormat.E164
            )
            done.append((address, number))
        return done

    return timed(work)


def raw_insert(
    records: list[tuple[str, str, str]], normalised: list[tuple[str, str]]
) -> float:
    host = fresh_host()
    database = host.db.url.removeprefix("sqlite:///")
    host.close()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = [
        (
            "person",
            name,
            name,
            email,
            phone,
            json.dumps([email]),
            json.dumps([phone]),
            "[]",
            "[]",
            "{}",
            "{}",
            "lead",
            1,
            now,
            now,
        )
        for (name, _e, _p), (email, phone) in zip(records, normalised, strict=True)
    ]
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    sql = (
        "INSERT INTO core_customer (kind, name, display_name, email, phone, emails, phones, "
        "addresses, tags, preferences, attributes, lifecycle_stage, version, created_at, "
        "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )

    def insert() -> None:
        connection.execute("BEGIN")
        connection.executemany(sql, rows)
        connection.execute("COMMIT")

    seconds, _ = timed(insert)
    connection.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp(prefix="crm-bench-customers-")) / "customers.csv"
    records = generate(path, args.rows)
    library_s, normalised = libraries(records)
    raw_s = raw_insert(records, normalised)
    host = fresh_host()
    request = ImportRequest(
        "customers",
        path,
        mapping_from_arguments(),
        keys=("email",),
        values=ValueOptions(phone_region="DE"),
    )
    import_s, report = timed(lambda: run_import(host, SYSTEM, request))
    assert report.created == args.rows and report.error_count == 0, report.errors[:3]
    baseline = raw_s + library_s
    print(
        json.dumps(
            {
                "rows": args.rows,
                "raw_executemany_s": round(raw_s, 2),
                "libraries_alone_s": round(library_s, 2),
                "import_s": round(import_s, 2),
                "ratio_to_sum": round(import_s / baseline, 2),
                "goal": 1.5,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
