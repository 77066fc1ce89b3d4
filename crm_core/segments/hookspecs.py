"""Hook specifications of the segment engine (re-exported by crm_core.hookspecs)."""

from __future__ import annotations

from typing import Any

from ..contract import collect


@collect
def crm_segment_fields() -> Any:
    """Values of a customer that segment rules may test, computed in SQL.

    Kind: collect. Return :class:`~crm_core.segments.SegmentField` objects
    named ``<plugin>.<name>`` (``sales.open_opportunities``). Each field's
    ``expression(customer)`` gets the customer table, or an alias of it, and
    returns a SQL expression, typically a correlated scalar subquery on the
    plugin's own tables; the rule is compiled into one query, so a field must
    not load rows into Python. The field's ``type`` (a
    :class:`~crm_core.FieldType`) decides the operators and how values are
    checked.

    .. versionadded:: 1.1
    """
