"""Rows without a key get stable identities from content and occurrence."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from crm_core.importing import DIGEST_SIZE, open_table, row_digests


def frame(
    *rows: tuple[str, ...], columns: tuple[str, ...] = ("name", "city")
) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(columns), dtype=str)


def expected(content: str, occurrence: int) -> bytes:
    data = f"{content}\x1e{occurrence}".encode()
    return hashlib.blake2b(data, digest_size=16, person=b"strata-row-v1").digest()


def test_digests_follow_the_documented_encoding():
    """A digest is BLAKE2b-128 of the cells, unit separators and the occurrence."""
    digests = row_digests(frame(("Anna", "Rome"), ("Zoë", "")), {})
    assert digests.tolist() == [expected("Anna\x1fRome", 1), expected("Zoë\x1f", 1)]
    assert all(len(digest) == DIGEST_SIZE for digest in digests)


def test_digests_do_not_change_between_versions():
    """The identity of a known row is fixed for good."""
    digests = row_digests(frame(("Anna", "Rome"), ("Anna", "Rome")), {})
    assert [d.hex() for d in digests] == [
        "46d6fc504a47d409513802ca404f23f5",
        "c5424e787139d774e7124969c7932030",
    ]


def test_repeated_rows_stay_distinct():
    """Exact repeats are numbered 1, 2, 3 and so get different identities."""
    rows = frame(("Anna", "Rome"), ("Ben", "Oslo"), ("Anna", "Rome"), ("Anna", "Rome"))
    digests = row_digests(rows, {})
    assert digests.tolist() == [
        expected("Anna\x1fRome", 1),
        expected("Ben\x1fOslo", 1),
        expected("Anna\x1fRome", 2),
        expected("Anna\x1fRome", 3),
    ]
    assert digests.nunique() == 4


def test_occurrences_carry_across_batches():
    """The counts dict continues the numbering in the next batch, and records it."""
    occurrences: dict[bytes, int] = {}
    first = row_digests(frame(("Anna", "Rome")), occurrences)
    second = row_digests(frame(("Anna", "Rome"), ("Ben", "Oslo")), occurrences)
    assert second.tolist() == [expected("Anna\x1fRome", 2), expected("Ben\x1fOslo", 1)]
    assert occurrences == {first.iloc[0]: 2, second.iloc[1]: 1}


def test_digests_keep_the_frame_index():
    """The digest Series is indexed by the batch's row numbers."""
    rows = frame(("a", "b"), ("c", "d"))
    rows.index = pd.RangeIndex(41, 43)
    assert row_digests(rows, {}).index.tolist() == [41, 42]


def test_separator_characters_inside_cells_cannot_collide():
    """Cells holding the separators themselves still give distinct identities."""
    rows = frame(
        ("a\x1fb", "c"),
        ("a", "b\x1fc"),
        ("a\x1b", "u"),
        ("a\x1bu", ""),
        ("x\x1e1", ""),
        ("x", "\x1e1"),
    )
    assert row_digests(rows, {}).nunique() == 6


def test_other_dtypes_and_missing_cells():
    """Numbers are hashed as their text and missing cells as empty text."""
    mixed = pd.DataFrame({"n": [1, 2], "s": ["x", None]})
    text = pd.DataFrame({"n": ["1", "2"], "s": ["x", ""]}, dtype=str)
    assert row_digests(mixed, {}).tolist() == row_digests(text, {}).tolist()


def test_reimporting_a_file_gives_the_same_identities(shared_data):
    """CDNOW's 255 exact repeats keep their own identities, the same on each read."""
    reader = open_table(shared_data / "cdnow" / "CDNOW_master.txt", batch_rows=10_000)
    rows = pd.concat(batch.frame for batch in reader)
    assert rows.duplicated().sum() == 255

    def identities() -> list[bytes]:
        occurrences: dict[bytes, int] = {}
        return [d for batch in reader for d in row_digests(batch.frame, occurrences)]

    first = identities()
    assert first == identities()
    assert len(set(first)) == len(first) == 69_659


def test_digests_are_the_same_in_another_process():
    """Identities do not depend on the process or its hash seed."""
    script = (
        "import pandas as pd\n"
        "from crm_core.importing import row_digests\n"
        "rows = pd.DataFrame([['Anna', 'Rome'], ['Anna', 'Rome']], dtype=str)\n"
        "print(' '.join(d.hex() for d in row_digests(rows, {})))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    here = row_digests(frame(("Anna", "Rome"), ("Anna", "Rome")), {})
    assert result.stdout.split() == [d.hex() for d in here]


row_values = st.lists(
    st.tuples(st.sampled_from(["a", "b", "", "\x1f"]), st.sampled_from(["x", "y"])),
    max_size=40,
)


@given(row_values, st.integers(min_value=1, max_value=9))
def test_batches_do_not_change_identities(rows, size):
    """Any split into batches gives the identities of one whole batch."""
    whole = row_digests(frame(*rows), {}).tolist() if rows else []
    occurrences: dict[bytes, int] = {}
    split: list[bytes] = []
    for start in range(0, len(rows), size):
        split.extend(row_digests(frame(*rows[start : start + size]), occurrences))
    assert split == whole
    assert len(set(split)) == len(split)


@given(row_values)
def test_identities_are_deterministic(rows):
    """The same rows always give the same identities."""
    data = frame(*rows)
    assert np.array_equal(
        row_digests(data, {}).to_numpy(), row_digests(data.copy(), {}).to_numpy()
    )
