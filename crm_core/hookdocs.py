"""The hook reference, generated from the specifications' docstrings.

``python -m crm_core.hookdocs > docs/hooks.md`` rewrites the reference; a test
fails when the file and the specifications disagree.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Iterator
from typing import Any

from . import hookspecs
from .contract import HOOK_API_VERSION, HookKind

HEADER = f"""# Hook reference

Generated from the hook specifications by `python -m crm_core.hookdocs`; do
not edit by hand. This host provides hook API {HOOK_API_VERSION}.

Kinds: **collect** (every plugin adds), **first-result** (the first non-empty
answer wins; plugins registered later are asked first), **veto** (any plugin
may refuse), **notify** (fire and forget; errors are logged per plugin).
"""


def specifications(
    sources: Iterable[tuple[str, Any]] = (),
) -> Iterator[tuple[str, str, Any]]:
    """``(owner, name, function)`` for the core's specs and the given plugins' specs."""
    for owner, module in (("core", hookspecs), *sources):
        for name, function in sorted(vars(module).items()):
            if isinstance(getattr(function, "crm_kind", None), HookKind):
                yield owner, name, inspect.unwrap(function)


def render(sources: Iterable[tuple[str, Any]] = ()) -> str:
    parts = [HEADER]
    owner_seen = None
    for owner, name, function in specifications(sources):
        if owner != owner_seen:
            parts.append(f"\n## Hooks of `{owner}`\n")
            owner_seen = owner
        signature = str(inspect.signature(function)).replace("'", "")
        doc = inspect.cleandoc(function.__doc__ or "")
        doc = re.sub(r"\.\. versionadded:: (\S+)", r"*Added in hook API \1.*", doc)
        kind = function.crm_kind.value
        parts.append(f"\n### `{name}`\n\n`{name}{signature}` — {kind}\n\n{doc}\n")
    return "".join(parts)


def first_party_sources() -> list[tuple[str, Any]]:
    """Hook specifications declared by the first-party plugins."""
    from importlib.metadata import entry_points

    found = []
    for entry in sorted(entry_points(group="crm.plugins"), key=lambda e: e.name):
        if not entry.value.startswith("crm_plugins."):
            continue
        specs = getattr(entry.load().PLUGIN, "hookspecs", None)
        if specs is not None:
            found.append((entry.name, specs))
    return found


if __name__ == "__main__":
    print(render(first_party_sources()), end="")
