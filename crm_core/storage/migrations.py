"""Running each owner's Alembic revisions against its own version table.

No ``env.py`` is needed: the runner drives Alembic's environment directly, so a
plugin only ships a ``migrations/versions/`` folder of revision files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from alembic.config import Config as AlembicConfig
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from ..contributions import MigrationSource
from .database import Database

log = logging.getLogger("crm_core.storage")


class MigrationError(RuntimeError):
    """A migration could not be applied; the owner's revisions are rolled back."""


def _script(source: MigrationSource) -> tuple[AlembicConfig, ScriptDirectory]:
    config = AlembicConfig()
    config.set_main_option("script_location", str(source.path))
    return config, ScriptDirectory.from_config(config)


def current_revision(connection: Connection, source: MigrationSource) -> str | None:
    """The revision ``source``'s owner is at in this database, or ``None``."""
    context = MigrationContext.configure(
        connection, opts={"version_table": source.version_table}
    )
    return context.get_current_revision()


def head_revision(source: MigrationSource) -> str | None:
    return _script(source)[1].get_current_head()


def _run(
    db: Database, source: MigrationSource, destination: str, upgrade: bool
) -> None:
    config, script = _script(source)

    def steps(revision: Any, _context: Any) -> Any:
        if upgrade:
            return script._upgrade_revs(destination, revision)
        return script._downgrade_revs(destination, revision)

    with db.engine.begin() as connection:
        with EnvironmentContext(
            config,
            script,
            fn=steps,
            destination_rev=destination,
            as_sql=False,
        ) as environment:
            environment.configure(
                connection=connection,
                version_table=source.version_table,
                render_as_batch=db.dialect == "sqlite",
                transaction_per_migration=False,
            )
            environment.run_migrations()


def upgrade(
    db: Database, sources: Iterable[MigrationSource], target: str = "head"
) -> list[str]:
    """Bring every owner in ``sources``, in the given order, to ``target``.

    Returns a line per owner saying what changed.
    """
    done = []
    for source in sources:
        with db.connect() as connection:
            before = current_revision(connection, source)
        try:
            _run(db, source, target, upgrade=True)
        except Exception as error:
            raise MigrationError(
                f"migrating {source.owner!r} from {before or 'empty'} failed: {error}"
            ) from error
        with db.connect() as connection:
            after = current_revision(connection, source)
        if before != after:
            log.info(
                "migrated %s from %s to %s", source.owner, before or "empty", after
            )
        done.append(f"{source.owner}: {before or 'empty'} -> {after}")
    return done


def downgrade(db: Database, source: MigrationSource, target: str = "base") -> None:
    """Take one owner's tables back to ``target`` (``base`` removes them all)."""
    _run(db, source, target, upgrade=False)


def pending(db: Database, sources: Iterable[MigrationSource]) -> list[str]:
    """Owners whose database revision is behind their newest revision."""
    behind = []
    with db.connect() as connection:
        for source in sources:
            if current_revision(connection, source) != head_revision(source):
                behind.append(source.owner)
    return behind
