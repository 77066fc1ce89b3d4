"""Helpers shared by the benchmarks: a migrated host in a temporary folder, timing, memory."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crm_core.config import Config
from crm_core.host import Host


def fresh_host(
    folder: Path | None = None, plugins: tuple[str, ...] | None = ()
) -> Host:
    """A host over a new, migrated SQLite file (only the core by default)."""
    folder = folder or Path(tempfile.mkdtemp(prefix="crm-bench-"))
    config = Config(
        database_url=f"sqlite:///{folder}/crm.sqlite3",
        data_dir=folder,
        plugins=plugins,
        strict_plugins=True,
        secret_key="bench",
    )
    host = Host(config)
    host.upgrade()
    return host


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def peak_rss_mb() -> float:
    """This address space's peak resident memory, in MB.

    ``VmHWM`` rather than ``getrusage``: Linux keeps ``ru_maxrss`` across
    ``exec``, so a spawned child would report its parent's peak.
    """
    return _status_mb("VmHWM:")


def current_rss_mb() -> float:
    return _status_mb("VmRSS:")


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0
