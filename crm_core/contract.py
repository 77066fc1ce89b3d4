"""The vendor contract: plugin declarations, hook markers and hook kinds.

A plugin is a module (or object) with a ``PLUGIN`` declaration and functions
marked with :data:`hookimpl`. Hook specifications are marked with one of the
four kind decorators, which record how the host combines the answers.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

#: The hook API this host provides. Plugins declare the range they support.
HOOK_API_VERSION = Version("1.1")

PROJECT = "crm"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

F = TypeVar("F", bound=Callable[..., Any])


class HookKind(enum.Enum):
    """How the host combines the answers of the plugins implementing a hook."""

    #: Every plugin adds; answers are flattened into one list.
    COLLECT = "collect"
    #: The first non-empty answer wins, in documented order.
    FIRST_RESULT = "first-result"
    #: Any plugin may refuse a change by returning problems.
    VETO = "veto"
    #: Fire and forget; an error is logged with the plugin's name.
    NOTIFY = "notify"


def _spec(kind: HookKind, **options: Any) -> Callable[[F], F]:
    def mark(function: F) -> F:
        function.crm_kind = kind  # type: ignore[attr-defined]
        return hookspec(**options)(function)

    return mark


collect = _spec(HookKind.COLLECT)
first_result = _spec(HookKind.FIRST_RESULT, firstresult=True)
veto = _spec(HookKind.VETO)
notify = _spec(HookKind.NOTIFY)


def _check_specifier(_instance: Any, _attribute: Any, value: str) -> None:
    try:
        SpecifierSet(value)
    except InvalidSpecifier as error:
        raise ValueError(
            f"hook_api {value!r} is not a version range (expected e.g. '>=1,<2')"
        ) from error


@attrs.frozen
class PluginInfo:
    """What a plugin declares about itself.

    :param name: unique plugin name; also the prefix of its tables, routes and
        permissions.
    :param version: the plugin's own version.
    :param hook_api: the range of host hook-API versions it supports.
    :param requires: plugins that must be loaded before it.
    :param optional: plugins it extends when present (ordering only).
    :param hookspecs: a module or class with hook specifications the plugin
        offers to others.
    """

    name: str = attrs.field(validator=attrs.validators.matches_re(r"[a-z][a-z0-9_]*"))
    version: str
    hook_api: str = attrs.field(validator=_check_specifier)
    requires: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    description: str = ""
    hookspecs: object | None = None

    def supports(self, version: Version = HOOK_API_VERSION) -> bool:
        return version in SpecifierSet(self.hook_api)


@attrs.frozen
class Contribution:
    """One answer to a hook, with the plugin that gave it."""

    plugin: str
    value: Any


@attrs.frozen
class Problem:
    """A reason a veto hook refuses a change.

    ``where`` names the row, field or parameter; ``message`` says what was
    expected.
    """

    message: str
    field: str | None = None
    row: int | None = None
    record: object | None = None
