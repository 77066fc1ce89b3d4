"""Reading one customer over HTTP: the full host against a bare Flask app.

Both run under gunicorn with 2 sync workers on 127.0.0.1 and read the same
row of the same SQLite file (WAL mode). The full host has every installed
plugin enabled and checks an API token on each request; the bare app is a
Flask route that selects the row with ``sqlite3`` on a connection kept per
worker and returns it as JSON. Each is loaded with ``wrk`` (16 connections,
2 threads) after a short warm-up.

Goals: the full host serves at least 0.5x the bare app's requests/s, with a
99th-percentile latency at most 3x the bare app's.

    python bench/api_get.py --seconds 15
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

from crm_core.config import Config
from crm_core.host import Host
from crm_core.security import SYSTEM, issue_token
from crm_core.storage import schema
from crm_core.storage.types import utcnow

RPS_GOAL = 0.5
P99_GOAL = 3.0

BARE_APP = """
import json
import os
import sqlite3

from flask import Flask, abort, jsonify

app = Flask(__name__)
DOCUMENTS = ("emails", "phones", "addresses", "tags", "preferences", "attributes")
_connection = None


def connection():
    global _connection
    if _connection is None:
        _connection = sqlite3.connect(os.environ["BARE_DB"], check_same_thread=False)
        _connection.row_factory = sqlite3.Row
        _connection.execute("PRAGMA journal_mode=WAL")
    return _connection


@app.get("/customers/<int:customer_id>")
def customer(customer_id):
    row = connection().execute(
        "SELECT * FROM core_customer WHERE id = ? AND deleted_at IS NULL",
        (customer_id,),
    ).fetchone()
    if row is None:
        abort(404)
    data = {key: row[key] for key in row.keys() if key not in ("row_digest",)}
    for key in DOCUMENTS:
        data[key] = json.loads(data[key])
    return jsonify(data)
"""


def prepare(folder: Path) -> tuple[str, int, str]:
    """A migrated database with one customer and an admin's token."""
    url = f"sqlite:///{folder / 'crm.sqlite3'}"
    host = Host(Config(database_url=url, secret_key="bench", data_dir=folder))
    try:
        host.upgrade()
        with host.db.transaction() as connection:
            now = utcnow()
            user_id = connection.execute(
                schema.user.insert().values(
                    email="bench@example.test",
                    name="Bench",
                    role="admin",
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]
            token = issue_token(connection, user_id, "bench")
            customer = host.customers.create(
                connection,
                SYSTEM,
                {
                    "name": "Ada Lovelace",
                    "emails": ["ada@example.com"],
                    "phones": ["+44 20 7946 0000"],
                    "tags": ["vip", "engine"],
                    "lifecycle_stage": "customer",
                },
            )
        plugins = [status.name for status in host.plugins.loaded()]
    finally:
        host.close()
    print(f"full host plugins: {', '.join(plugins)}")
    return url, customer["id"], token


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(
    app: str, env: dict[str, str], cwd: Path
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app,
    ]
    process = subprocess.Popen(
        command, env={**os.environ, **env}, cwd=cwd, process_group=0
    )
    return process, port


def wait_until_up(url: str, headers: dict[str, str], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def load(url: str, headers: dict[str, str], seconds: int) -> tuple[float, float]:
    """Requests/s and p99 latency (ms) from a wrk run."""
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True
    ).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        raise RuntimeError(f"{url} answered errors under load:\n{output}")
    rps = float(_find(r"Requests/sec:\s+([\d.]+)", output)[0])
    value, unit = _find(r"99%\s+([\d.]+)(us|ms|s)", output)
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rps, p99


def _find(pattern: str, output: str) -> tuple[str, ...]:
    found = re.search(pattern, output)
    if found is None:
        raise RuntimeError(f"no {pattern!r} in wrk's output:\n{output}")
    return found.groups()


def measure(
    name: str,
    app: str,
    env: dict[str, str],
    cwd: Path,
    path: str,
    headers: dict[str, str],
    seconds: int,
) -> tuple[float, float]:
    process, port = serve(app, env, cwd)
    try:
        url = f"http://127.0.0.1:{port}{path}"
        wait_until_up(url, headers)
        load(url, headers, 2)
        rps, p99 = load(url, headers, seconds)
    finally:
        stop(process)
    print(f"{name:>10}: {rps:9.1f} requests/s   p99 {p99:7.2f} ms")
    return rps, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="alternate the two servers this many times and take the medians",
    )
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-api-"))
    full: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    try:
        url, customer_id, token = prepare(folder)
        (folder / "bare_app.py").write_text(textwrap.dedent(BARE_APP))
        full_env = {
            "CRM_DATABASE_URL": url,
            "CRM_SECRET_KEY": "bench",
            "CRM_DATA_DIR": str(folder),
        }
        for _ in range(options.rounds):
            full.append(
                measure(
                    "full host",
                    "crm_core.app:create_app()",
                    full_env,
                    folder,
                    f"/api/v1/customers/{customer_id}",
                    {"Authorization": f"Bearer {token}"},
                    options.seconds,
                )
            )
            bare.append(
                measure(
                    "bare Flask",
                    "bare_app:app",
                    {"BARE_DB": str(folder / "crm.sqlite3")},
                    folder,
                    f"/customers/{customer_id}",
                    {},
                    options.seconds,
                )
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report(full, bare)


def report(full: list[tuple[float, float]], bare: list[tuple[float, float]]) -> None:
    full_rps, full_p99 = (statistics.median(v) for v in zip(*full, strict=True))
    bare_rps, bare_p99 = (statistics.median(v) for v in zip(*bare, strict=True))
    rps_ratio, p99_ratio = full_rps / bare_rps, full_p99 / bare_p99
    print(
        f"medians: full host {full_rps:.1f} requests/s, p99 {full_p99:.2f} ms; "
        f"bare Flask {bare_rps:.1f} requests/s, p99 {bare_p99:.2f} ms"
    )
    print(
        f"requests/s ratio {rps_ratio:.2f}x (goal >= {RPS_GOAL}x), "
        f"p99 ratio {p99_ratio:.2f}x (goal <= {P99_GOAL}x)"
    )
    met = rps_ratio >= RPS_GOAL and p99_ratio <= P99_GOAL
    print("goals met" if met else "goals NOT met")


if __name__ == "__main__":
    main()
