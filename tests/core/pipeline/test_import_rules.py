"""All-or-nothing imports, dry runs, keys, system fields and owners."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select

from crm_core.storage import schema

c = schema.customer


def count(host, table=c):
    with host.db.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def write_csv(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def people(tmp_path):
    rows = [
        [f"P{i:04d}", f"Person {i}", f"person{i}@example.com", str(20 + i % 50)]
        for i in range(1, 1001)
    ]
    return rows, tmp_path


def test_one_bad_row_in_a_thousand_changes_nothing(run, crm_host, people):
    """A 1,000-row file with one impossible value writes nothing and names row, column, reason."""
    rows, folder = people
    rows[730][3] = "forty"
    path = write_csv(
        folder / "people.csv", ["external_id", "name", "email", "age"], rows
    )
    report = run(
        "customers",
        path,
        keys=("external_id",),
        create_fields=True,
        types=["age=integer"],
    )
    assert report.created == 0 and report.error_count == 1
    assert report.errors[0]["row"] == 731 and report.errors[0]["column"] == "age"
    assert "'forty'" in report.errors[0]["message"]
    assert count(crm_host) == 0
    with crm_host.db.connect() as connection:
        fields = connection.execute(
            select(func.count()).select_from(schema.field)
        ).scalar()
        runs = connection.execute(select(schema.import_run.c.status)).scalars().all()
    assert fields == 0 and runs == ["refused"]


def test_dry_run_writes_nothing_and_reports_what_would_happen(run, crm_host, people):
    """A dry run counts creations and new fields but stores none of them."""
    rows, folder = people
    path = write_csv(
        folder / "people.csv", ["external_id", "name", "email", "age"], rows
    )
    report = run(
        "customers", path, keys=("external_id",), create_fields=True, dry_run=True
    )
    assert report.created == 1000 and report.status == "dry-run"
    assert [f["name"] for f in report.fields_created] == ["age"]
    assert count(crm_host) == 0


def test_rows_without_key_keep_exact_repeats_and_reimport_adds_nothing(
    run, crm_host, tmp_path
):
    """Identical rows are separate customers; importing the file again creates none."""
    path = write_csv(
        tmp_path / "repeats.csv",
        ["name", "city"],
        [["Lee", "Oslo"], ["Lee", "Oslo"], ["Kim", "Oslo"]],
    )
    assert run("customers", path).created == 3
    again = run("customers", path)
    assert (again.created, again.unchanged) == (0, 3)
    assert count(crm_host) == 3


@pytest.mark.parametrize("column", ["id", "version", "deleted_at"])
def test_system_field_columns_are_refused(run, crm_host, tmp_path, column):
    """A column that would set a system field is refused before anything is written."""
    path = write_csv(tmp_path / "sys.csv", ["name", column], [["Ana", "7"]])
    report = run("customers", path)
    assert report.error_count == 1 and report.errors[0]["column"] == column
    assert "system field" in report.errors[0]["message"]
    assert count(crm_host) == 0


def test_importing_needs_permission_and_owner_is_found_by_email(
    run, crm_host, crm_actor, crm_user, tmp_path
):
    """Agents may not import; a manager sets an owner by the user's e-mail."""
    colleague = crm_user("agent", email="colleague@example.com")
    path = write_csv(
        tmp_path / "owned.csv", ["name", "owner"], [["Ana", "colleague@example.com"]]
    )
    from crm_core.security import PermissionDenied

    with pytest.raises(PermissionDenied, match="'customer.import' is needed"):
        run("customers", path, actor=crm_actor("agent"))
    done = run("customers", path, actor=crm_actor("manager"))
    assert done.created == 1
    with crm_host.db.connect() as connection:
        assert connection.execute(select(c.c.owner_id)).scalar() == colleague["id"]


def test_agent_cannot_assign_owner(run, crm_actor, crm_host, tmp_path):
    """Without 'customer.assign_owner' the owner column is refused."""
    from crm_core.security import Actor

    agent = crm_actor("agent")
    grants = dict(agent.role.grants)
    grants["customer.import"] = "own"
    importer = Actor(
        agent.user, type(agent.role)(agent.role.name, "Agent", grants), agent.teams
    )
    path = write_csv(
        tmp_path / "owned.csv", ["name", "owner"], [["Ana", "someone@example.com"]]
    )
    report = run("customers", path, actor=importer)
    assert report.error_count == 1 and report.errors[0]["column"] == "owner"
    assert "customer.assign_owner" in report.errors[0]["message"]
    assert count(crm_host) == 0


def test_unknown_key_and_unmapped_key_are_refused(run, tmp_path):
    """--key names a field the record type matches on, and a mapped column fills it."""
    path = write_csv(tmp_path / "k.csv", ["name"], [["Ana"]])
    report = run("customers", path, keys=("colour",))
    assert (
        "can be matched on external_id, email, phone, name"
        in report.errors[0]["message"]
    )
    report = run("customers", path, keys=("email",))
    assert "no column is mapped to the key field 'email'" in report.errors[0]["message"]


def test_key_repeated_in_the_file_is_named(run, tmp_path):
    """Two rows with the same key are refused, naming both rows."""
    path = write_csv(
        tmp_path / "dup.csv", ["external_id", "name"], [["A1", "x"], ["A1", "y"]]
    )
    report = run("customers", path, keys=("external_id",))
    assert (
        report.errors[0]["row"] == 2 and "also on row 1" in report.errors[0]["message"]
    )


def test_update_by_key_is_audited_field_by_field(run, crm_host, tmp_path):
    """Re-importing with a changed value updates that record and logs before and after."""
    path = write_csv(
        tmp_path / "a.csv", ["external_id", "name", "city"], [["A1", "Ana", "Oslo"]]
    )
    run("customers", path, keys=("external_id",))
    write_csv(path, ["external_id", "name", "city"], [["A1", "Ana", "Bergen"]])
    report = run("customers", path, keys=("external_id",))
    assert (report.created, report.updated) == (0, 1)
    with crm_host.db.connect() as connection:
        changes = connection.execute(
            select(schema.audit.c.changes).where(schema.audit.c.action == "update")
        ).scalar_one()
    assert changes["addresses"] == [[{"city": "Oslo"}], [{"city": "Bergen"}]]


def test_emails_and_phones_are_normalised_before_matching(run, crm_host, tmp_path):
    """E-mails match whatever their case and spaces; phones become E.164."""
    path = write_csv(
        tmp_path / "e.csv", ["email", "phone"], [[" Ana@Example.COM ", "030 1234567"]]
    )
    run("customers", path, keys=("email",), values=_region("DE"))
    write_csv(path, ["email", "phone"], [["ana@example.com", "+49 30 1234567"]])
    report = run("customers", path, keys=("email",), values=_region("DE"))
    assert (report.created, report.unchanged) == (0, 1)
    with crm_host.db.connect() as connection:
        assert connection.execute(select(c.c.email, c.c.phone)).one() == (
            "ana@example.com",
            "+49301234567",
        )


def _region(region):
    from crm_core.importing.rules import ValueOptions

    return ValueOptions(phone_region=region)


def test_activities_link_to_customers_and_reimport_creates_nothing(
    run, crm_host, tmp_path
):
    """Activities find their customer by external id; the same file again adds none."""
    people = write_csv(tmp_path / "p.csv", ["external_id", "name"], [["C1", "Ana"]])
    run("customers", people, keys=("external_id",))
    path = write_csv(
        tmp_path / "act.csv",
        ["customer", "when", "what"],
        [["C1", "2024-03-31 01:30:00", "call"], ["C1", "2024-03-31 01:30:00", "call"]],
    )
    maps = ["customer=customer_external_id", "when=occurred_at", "what=kind"]
    from crm_core.importing.rules import ValueOptions

    options = ValueOptions(
        datetime_format="%Y-%m-%d %H:%M:%S", timezone="Europe/Berlin"
    )
    report = run("activities", path, maps=maps, values=options)
    assert (report.created, report.error_count) == (2, 0)
    again = run("activities", path, maps=maps, values=options)
    assert (again.created, again.unchanged) == (0, 2)
    with crm_host.db.connect() as connection:
        when = (
            connection.execute(select(schema.activity.c.occurred_at)).scalars().first()
        )
    assert (
        when.isoformat() == "2024-03-31T00:30:00+00:00"
    )  # CET, before the 02:00 change
    unknown = write_csv(
        tmp_path / "bad.csv",
        ["customer", "when", "what"],
        [["C9", "2024-03-31 01:30:00", "call"]],
    )
    refused = run("activities", unknown, maps=maps, values=options)
    assert refused.errors[0]["message"] == "no customer has external_id 'C9'"
