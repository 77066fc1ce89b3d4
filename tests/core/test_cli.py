"""The crm command line, run as a user runs it: in a subprocess, on real files."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

CRM = str(Path(sys.executable).parent / "crm")

BROKEN_METADATA = "Metadata-Version: 2.1\nName: acme-broken\nVersion: 1.2\n"


@pytest.fixture
def crm(tmp_path):
    """Run ``crm ARGS...`` against a database in tmp_path; returns the finished process."""
    env = {
        **os.environ,
        "CRM_DATABASE_URL": f"sqlite:///{tmp_path}/crm.sqlite3",
        "CRM_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("CRM_PLUGINS", None)

    def run(*args, extra_env=None):
        return subprocess.run(
            [CRM, *map(str, args)],
            env={**env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )

    return run


@pytest.fixture
def broken_plugin(tmp_path):
    """A distribution whose entry point names a module that fails to import."""
    site = tmp_path / "site"
    dist = site / "acme_broken-1.2.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(BROKEN_METADATA)
    (dist / "entry_points.txt").write_text("[crm.plugins]\nacme = acme_broken\n")
    (site / "acme_broken.py").write_text("import acme_missing_dependency\n")
    return {"PYTHONPATH": str(site)}


def test_init_prints_the_admin_login_once(crm):
    """crm init migrates and prints a generated administrator login; a rerun keeps it."""
    first = crm("init")
    assert first.returncode == 0, first.stderr
    assert "administrator: admin@example.com  password: " in first.stdout
    again = crm("init")
    assert "administrator admin@example.com already exists" in again.stdout


def test_broken_plugin_is_listed_as_failed_and_others_load(crm, broken_plugin):
    """plugins list shows the broken plugin's distribution, version and cause."""
    result = crm("plugins", "list", "--json", extra_env=broken_plugin)
    assert result.returncode == 0, result.stderr
    listed = {row["name"]: row for row in json.loads(result.stdout)}
    assert listed["acme"]["status"] == "failed"
    assert listed["acme"]["version"] == "1.2"
    assert "No module named 'acme_missing_dependency'" in listed["acme"]["reason"]
    assert {listed[n]["status"] for n in ("core", "sales", "service")} == {"loaded"}


def test_strict_mode_stops_on_a_broken_plugin(crm, broken_plugin):
    """With CRM_STRICT_PLUGINS the command stops with exit code 3 and the cause."""
    result = crm(
        "plugins", "list", extra_env={**broken_plugin, "CRM_STRICT_PLUGINS": "1"}
    )
    assert result.returncode == 3
    assert "plugin 'acme' (acme-broken 1.2) import failed" in result.stderr


def test_import_json_report_and_exit_codes(crm, tmp_path):
    """--json prints the counts and each error as {row, column, message}; refusals exit 1."""
    crm("init")
    good = tmp_path / "good.csv"
    good.write_text(
        "external_id,name,email\nA1,Ana,ana@example.com\nB2,Ben,ben@example.com\n"
    )
    result = crm("import", "customers", good, "--key", "external_id", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["created"], report["updated"], report["unchanged"]) == (2, 0, 0)
    assert report["errors"] == []
    bad = tmp_path / "bad.csv"
    bad.write_text("external_id,name,email\nC3,Cy,not-an-address\n")
    refused = crm("import", "customers", bad, "--key", "external_id", "--json")
    assert refused.returncode == 1
    error = json.loads(refused.stdout)["errors"][0]
    assert (error["row"], error["column"]) == (1, "email")
    assert "'not-an-address'" in error["message"]


def test_usage_errors_exit_2_with_the_parameter_named(crm, tmp_path):
    """A missing file, an unknown record type or a bad option value exit with 2."""
    crm("init")
    missing = crm("import", "customers", tmp_path / "nope.csv")
    assert missing.returncode == 2 and "nope.csv" in missing.stderr
    path = tmp_path / "x.csv"
    path.write_text("name\nAna\n")
    unknown = crm("import", "widgets", path)
    assert unknown.returncode == 2 and "unknown record type 'widgets'" in unknown.stderr
    zone = crm("import", "customers", path, "--timezone", "Mars/Olympus")
    assert zone.returncode == 2 and "Mars/Olympus" in zone.stderr


def test_export_neutralises_formulas_in_csv_and_excel(crm, tmp_path):
    """Exported text that a spreadsheet would run gets a leading apostrophe."""
    crm("init")
    path = tmp_path / "people.csv"
    path.write_text('name,city\n"=HYPERLINK(""http://x"")",+Oslo\nAna,Bergen\n')
    assert crm("import", "customers", path).returncode == 0
    assert crm("export", "customers", tmp_path / "out.csv").returncode == 0
    with (tmp_path / "out.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    names = {row["name"] for row in rows}
    assert '\'=HYPERLINK("http://x")' in names and "Ana" in names
    assert {row["city"] for row in rows} == {"'+Oslo", "Bergen"}
    assert crm("export", "customers", tmp_path / "out.xlsx").returncode == 0
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    cells = {cell.value for row in sheet.iter_rows() for cell in row}
    assert '\'=HYPERLINK("http://x")' in cells and '=HYPERLINK("http://x")' not in cells


def test_users_tokens_and_events_commands(crm):
    """Users and tokens can be created; the dead-letter list starts empty."""
    crm("init")
    made = crm(
        "users",
        "create",
        "--email",
        " Rita@Example.com ",
        "--name",
        "Rita",
        "--role",
        "agent",
        "--team",
        "North",
    )
    assert (
        made.returncode == 0 and "created rita@example.com  password: " in made.stdout
    )
    duplicate = crm("users", "create", "--email", "rita@example.com", "--name", "R")
    assert duplicate.returncode == 2 and "exists" in duplicate.stderr
    bad_role = crm(
        "users", "create", "--email", "x@example.com", "--name", "X", "--role", "boss"
    )
    assert bad_role.returncode == 2 and "unknown role 'boss'" in bad_role.stderr
    token = crm("tokens", "create", "--user", "rita@example.com")
    assert token.returncode == 0 and token.stdout.strip().startswith("crm_")
    assert crm("events", "failed").stdout.strip() == "no failed deliveries"


def test_commands_refuse_an_unmigrated_database(crm):
    """Commands that need tables say to run crm db upgrade, with exit code 3."""
    status = crm("db", "status")
    assert status.returncode == 3 and "behind: core" in status.stdout
    result = crm("tokens", "create", "--user", "someone")
    assert result.returncode == 3 and "run 'crm db upgrade'" in result.stderr
    assert crm("db", "upgrade").returncode == 0
    assert crm("db", "status").stdout.strip() == "up to date"


def test_demo_prepares_data_and_login(crm):
    """crm demo --no-serve migrates, loads generated data once and prints the login."""
    first = crm("demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "loaded generated demo data: 300 customers" in first.stdout
    assert "log in as admin@example.com / " in first.stdout
    assert "demo data already loaded" in crm("demo", "--no-serve").stdout
