"""Due times across summer-time changes: entered locally, stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_core.customers import InvalidInput
from crm_core.tasks import NonexistentLocalTime, local_to_utc
from crm_core.tasks.times import zone_named

BERLIN = zone_named("Europe/Berlin")


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        (datetime(2025, 3, 29, 9, 0), datetime(2025, 3, 29, 8, 0, tzinfo=UTC)),
        (datetime(2025, 3, 31, 9, 0), datetime(2025, 3, 31, 7, 0, tzinfo=UTC)),
        (datetime(2025, 10, 25, 9, 0), datetime(2025, 10, 25, 7, 0, tzinfo=UTC)),
        (datetime(2025, 10, 27, 9, 0), datetime(2025, 10, 27, 8, 0, tzinfo=UTC)),
        (datetime(2025, 10, 26, 2, 30), datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),
    ],
)
def test_local_times_become_the_right_instants(local, utc):
    """Wall-clock times in Berlin map to UTC with the offset of their day."""
    assert local_to_utc(local, BERLIN) == utc


def test_a_time_skipped_by_summer_time_is_refused():
    """02:30 on the night clocks go forward does not exist."""
    with pytest.raises(NonexistentLocalTime, match="2025-03-30 02:30 does not exist"):
        local_to_utc(datetime(2025, 3, 30, 2, 30), BERLIN)


def test_an_unknown_zone_reads_as_utc():
    """A user with a zone the system does not know is treated as UTC."""
    assert zone_named("Mars/Olympus").key == "UTC"


def test_due_local_is_read_in_the_assignees_zone(person, create):
    """A task's local due time is the assignee's wall clock, shown back as such."""
    maker = person("admin", "UTC")
    assignee = person("agent", "Europe/Berlin")
    made = create(maker, assignee_id=assignee.id, due_local="2025-03-31T09:00")
    assert made["due_at"] == datetime(2025, 3, 31, 7, 0, tzinfo=UTC)
    assert made["due_local"] == datetime(2025, 3, 31, 9, 0)
    assert made["timezone"] == "Europe/Berlin"


def test_a_nonexistent_due_time_is_refused_with_a_clear_message(person, create):
    """The refusal names the field, the time and the zone."""
    with pytest.raises(InvalidInput) as refused:
        create(person(), due_local="2025-03-30T02:30")
    message = refused.value.errors["due_local"][0]
    assert "2025-03-30 02:30 does not exist in Europe/Berlin" in message


def test_an_ambiguous_due_time_takes_the_earlier_instant(person, create):
    """02:30 on the night clocks go back means the first 02:30 (summer time)."""
    made = create(person(), due_local="2025-10-26T02:30")
    assert made["due_at"] == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


def test_due_at_with_an_offset_is_taken_as_given(person, create):
    """An instant with its offset needs no zone."""
    made = create(person(), due_at="2025-03-31T09:00:00+02:00")
    assert made["due_at"] == datetime(2025, 3, 31, 7, 0, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="due_at"):
        create(person(), due_at="2025-03-31T09:00:00")
