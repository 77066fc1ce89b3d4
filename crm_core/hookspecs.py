"""Hook specifications of the core: the extension points every plugin can use.

Each specification says its kind (see :class:`crm_core.contract.HookKind`):

* collect: every plugin adds; the answers are flattened, each kept with the
  plugin that gave it.
* first-result: the first non-empty answer wins. Plugins are asked in reverse
  registration order, so a plugin registered after the plugins it depends on
  answers first; an extension returns ``None`` to let the base answer.
* veto: any plugin may refuse a change by returning problems.
* notify: fire and forget; an error is logged with the plugin's name and the
  other plugins still run.

Hooks that run during imports receive batches of records, never one row per
call.
"""

from __future__ import annotations

from typing import Any

from .contract import collect, first_result, notify, veto

# ruff: noqa: ARG001  (specifications declare arguments they do not use)


@collect
def crm_migrations() -> Any:
    """Folders of Alembic revisions this plugin owns.

    Kind: collect. Return a :class:`~crm_core.MigrationSource` or a list of
    them. ``crm db upgrade`` runs the core's revisions first, then each
    plugin's, in dependency order; each owner has its own version table.

    .. versionadded:: 1.0
    """


@collect
def crm_tables() -> Any:
    """The SQLAlchemy tables this plugin owns.

    Kind: collect. Return ``Table`` objects; each name must start with the
    plugin's name and an underscore. Used to check migrations against the
    model and to find a plugin's rows for export, revert and erasure.

    .. versionadded:: 1.0
    """


@collect
def crm_api_blueprints() -> Any:
    """REST API blueprints, mounted under ``/api/v1``.

    Kind: collect. Return ``flask_smorest.Blueprint`` objects; their schemas
    appear in the OpenAPI document. Two plugins claiming the same URL prefix
    stop the host at start-up.

    .. versionadded:: 1.0
    """


@collect
def crm_page_blueprints() -> Any:
    """Server-rendered page blueprints.

    Kind: collect. Return ``flask.Blueprint`` objects; templates may extend
    ``"crm/base.html"`` to get the shell and navigation.

    .. versionadded:: 1.0
    """


@collect
def crm_navigation() -> Any:
    """Entries in the page navigation.

    Kind: collect. Return :class:`~crm_core.NavItem` objects; an entry with a
    permission is shown only to users holding it.

    .. versionadded:: 1.0
    """


@collect
def crm_customer_panels() -> Any:
    """Panels on the customer page.

    Kind: collect. Return :class:`~crm_core.CustomerPanel` objects, shown in
    ``order`` below the core sections.

    .. versionadded:: 1.0
    """


@collect
def crm_cli_commands() -> Any:
    """Commands added to the ``crm`` command line.

    Kind: collect. Return ``click.Command`` or ``click.Group`` objects. Two
    plugins adding the same command name stop the host at start-up.

    .. versionadded:: 1.0
    """


@collect
def crm_custom_fields() -> Any:
    """Custom fields this plugin declares on record types.

    Kind: collect. Return :class:`~crm_core.FieldSpec` objects. They need no
    migration and appear in the API, pages, import and export.

    .. versionadded:: 1.0
    """


@collect
def crm_permissions() -> Any:
    """Permissions this plugin's features check.

    Kind: collect. Return :class:`~crm_core.Permission` objects named
    ``<object>.<action>``; their ``defaults`` grant them to built-in roles.

    .. versionadded:: 1.0
    """


@collect
def crm_record_types() -> Any:
    """Record types for the import and export pipeline.

    Kind: collect. Return :class:`~crm_core.RecordType` objects. A record type
    turns each batch of mapped rows into records (possibly several related
    records per group of rows) and writes them.

    .. versionadded:: 1.0
    """


@collect
def crm_event_subscriptions() -> Any:
    """Handlers for events.

    Kind: collect. Return :class:`~crm_core.Subscription` objects. Handlers
    run after the publishing transaction commits, at least once; they must be
    idempotent by event id.

    .. versionadded:: 1.0
    """


@collect
def crm_jobs() -> Any:
    """Jobs this plugin can run outside a request.

    Kind: collect. Return :class:`~crm_core.JobSpec` objects; enqueue them with
    ``host.jobs.enqueue(name, **args)``.

    .. versionadded:: 1.0
    """


@collect
def crm_schedules() -> Any:
    """Recurring runs of this plugin's jobs.

    Kind: collect. Return :class:`~crm_core.ScheduleSpec` objects. A run missed
    while no worker was up is made once, not once per missed interval.

    .. versionadded:: 1.0
    """


@collect
def crm_data_sources() -> Any:
    """Named queries the analytics layer reads as data frames.

    Kind: collect. Return :class:`~crm_core.DataSource` objects.

    .. versionadded:: 1.0
    """


@collect
def crm_relation_policies() -> Any:
    """How this plugin's rows that point at customers behave on delete and merge.

    Kind: collect. Return :class:`~crm_core.RelationPolicy` objects: ``block``,
    ``cascade`` or ``detach`` on delete; merge moves every such link to the
    surviving customer.

    .. versionadded:: 1.0
    """


@notify
def crm_demo_data(demo: Any) -> None:
    """Load this plugin's generated demo data.

    Kind: notify, called base plugins first. ``demo`` is a
    :class:`~crm_core.DemoContext` with the host, a seeded random generator
    and the demo users.

    .. versionadded:: 1.0
    """


@notify
def crm_host_started(host: Any) -> None:
    """A host has been made: its plugins are loaded and its services built.

    Kind: notify, called base plugins first. Bind what needs the host in
    every process (web, worker, command line), such as job functions that
    read the database. Runs on every start; do no slow work here.

    .. versionadded:: 1.1
    """


@first_result
def crm_customer_owner(customer: Any, actor: Any) -> Any:
    """Choose the owner of a new customer that arrives without one.

    Kind: first-result. ``customer`` is the validated mapping about to be
    stored; return a user id, or ``None`` to let the next plugin decide. With
    no answer the creating user owns the customer.

    .. versionadded:: 1.0
    """


@veto
def crm_validate_customers(changes: Any) -> Any:
    """Refuse customer creations or updates.

    Kind: veto. ``changes`` is a list of :class:`~crm_core.CustomerChange`
    (a whole import batch, or one record from the API). Return
    :class:`~crm_core.Problem` objects; any problem refuses the batch.

    .. versionadded:: 1.0
    """


@veto
def crm_before_delete(record_type: str, ids: Any) -> Any:
    """Refuse the deletion of records.

    Kind: veto. ``ids`` lists the ids about to be soft-deleted. Return
    :class:`~crm_core.Problem` objects to refuse.

    .. versionadded:: 1.0
    """


# The shared services' specifications are part of the core's hook API.
from .files.hookspecs import *  # noqa: E402, F403
from .forms.hookspecs import *  # noqa: E402, F403
from .i18n.hookspecs import *  # noqa: E402, F403
from .mail.hookspecs import *  # noqa: E402, F403
from .outbound.hookspecs import *  # noqa: E402, F403
from .scores.hookspecs import *  # noqa: E402, F403
from .search.hookspecs import *  # noqa: E402, F403
from .segments.hookspecs import *  # noqa: E402, F403
from .settings.hookspecs import *  # noqa: E402, F403
from .tasks.hookspecs import *  # noqa: E402, F403
from .users.hookspecs import *  # noqa: E402, F403
from .views.hookspecs import *  # noqa: E402, F403
