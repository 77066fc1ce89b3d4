"""Finding, ordering and loading plugins, and calling their hooks.

Plugins come from the ``crm.plugins`` entry-point group (first-party and vendor
alike) or are handed over directly (tests, embedding). The host enables the
configured subset, checks each declaration, registers them in dependency order
and records why any plugin did not load.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

import attrs
import pluggy

from . import hookspecs
from .contract import (
    HOOK_API_VERSION,
    PROJECT,
    Contribution,
    HookKind,
    PluginInfo,
)

log = logging.getLogger("crm_core.plugins")
trace_log = logging.getLogger("crm_core.hooks")

ENTRY_POINT_GROUP = "crm.plugins"
CORE_PLUGIN = "core"


class PluginError(RuntimeError):
    """A plugin could not be loaded (raised in strict mode)."""


@attrs.define
class PluginStatus:
    """What became of one plugin: ``loaded``, ``disabled`` or ``failed`` and why."""

    name: str
    version: str = ""
    distribution: str = ""
    status: str = "loaded"
    reason: str = ""
    info: PluginInfo | None = None
    module: object | None = None

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "version": self.version,
            "distribution": self.distribution,
            "status": self.status,
            "reason": self.reason,
        }


@attrs.frozen
class Candidate:
    """A plugin found but not yet loaded."""

    name: str
    load: Any  # () -> module or object
    distribution: str = ""
    version: str = ""


def discover() -> list[Candidate]:
    """Every plugin installed through the ``crm.plugins`` entry-point group."""
    found = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        dist = entry.dist
        found.append(
            Candidate(
                name=entry.name,
                load=_entry_loader(entry),
                distribution=dist.name if dist else "",
                version=dist.version if dist else "",
            )
        )
    return sorted(found, key=lambda c: c.name)


def _entry_loader(entry: EntryPoint) -> Any:
    return entry.load


def module_candidate(obj: object, name: str | None = None) -> Candidate:
    """A candidate for a plugin object or module handed over directly."""
    info = getattr(obj, "PLUGIN", None)
    plugin_name = name or (info.name if isinstance(info, PluginInfo) else repr(obj))
    module = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
    return Candidate(name=plugin_name, load=lambda: obj, distribution=str(module))


class PluginManager:
    """The loaded plugins and typed ways to call their hooks."""

    def __init__(self, *, strict: bool = False, trace: bool = False) -> None:
        self.strict = strict
        self.trace = trace
        self.pluggy = pluggy.PluginManager(PROJECT)
        self.pluggy.add_hookspecs(hookspecs)
        self.statuses: dict[str, PluginStatus] = {}
        self.order: list[str] = []
        self._kinds: dict[str, HookKind] = {}
        self._collect_kinds(hookspecs)

    # -- loading ---------------------------------------------------------

    def load(
        self, candidates: Sequence[Candidate], enabled: Iterable[str] | None
    ) -> None:
        """Load the enabled ``candidates`` in dependency order.

        ``enabled`` of ``None`` enables every candidate. The core plugin is
        always enabled.
        """
        wanted = None if enabled is None else set(enabled) | {CORE_PLUGIN}
        if wanted is not None:
            unknown = wanted - {c.name for c in candidates}
            for name in sorted(unknown):
                self._fail(
                    PluginStatus(name=name),
                    "enabled in configuration but not installed",
                )
        imported: dict[str, PluginStatus] = {}
        for candidate in candidates:
            status = PluginStatus(
                name=candidate.name,
                distribution=candidate.distribution,
                version=candidate.version,
            )
            if wanted is not None and candidate.name not in wanted:
                status.status, status.reason = (
                    "disabled",
                    "not in the enabled plugin list",
                )
                self.statuses[candidate.name] = status
                continue
            if self._import(candidate, status):
                imported[candidate.name] = status
        ready = self._check_dependencies(imported)
        for name in self._dependency_order(ready):
            self._register(ready[name])

    def _import(self, candidate: Candidate, status: PluginStatus) -> bool:
        try:
            module = candidate.load()
        except Exception as error:  # any import failure is the plugin's, not ours
            return self._fail(status, f"import failed: {type(error).__name__}: {error}")
        info = getattr(module, "PLUGIN", None)
        if not isinstance(info, PluginInfo):
            return self._fail(
                status, "has no PLUGIN declaration (a crm_core.PluginInfo)"
            )
        if info.name != candidate.name:
            return self._fail(
                status,
                f"declares name {info.name!r} but is registered as {candidate.name!r}",
            )
        status.info, status.module = info, module
        status.version = status.version or info.version
        if not info.supports():
            return self._fail(
                status,
                f"plugin {info.name!r} {info.version} needs hook API {info.hook_api}, "
                f"this host provides {HOOK_API_VERSION}",
            )
        return True

    def _check_dependencies(
        self, imported: dict[str, PluginStatus]
    ) -> dict[str, PluginStatus]:
        ready = dict(imported)
        changed = True
        while changed:
            changed = False
            for name, status in list(ready.items()):
                assert status.info is not None
                missing = [dep for dep in status.info.requires if dep not in ready]
                if missing:
                    reasons = [self._why_absent(dep) for dep in missing]
                    self._fail(status, "needs " + "; ".join(reasons))
                    del ready[name]
                    changed = True
        return ready

    def _why_absent(self, name: str) -> str:
        status = self.statuses.get(name)
        if status is None:
            return f"plugin {name!r}, which is not installed"
        return f"plugin {name!r}, which is {status.status} ({status.reason})"

    def _dependency_order(self, ready: dict[str, PluginStatus]) -> list[str]:
        """Topological order over ``requires`` and present ``optional``; ties by name."""
        after: dict[str, set[str]] = {name: set() for name in ready}
        for name, status in ready.items():
            assert status.info is not None
            for dep in (*status.info.requires, *status.info.optional):
                if dep in ready:
                    after[name].add(dep)
        heap = [name for name, deps in after.items() if not deps]
        heapq.heapify(heap)
        order: list[str] = []
        while heap:
            name = heapq.heappop(heap)
            order.append(name)
            for other, deps in after.items():
                if name in deps:
                    deps.discard(name)
                    if not deps and other not in order and other not in heap:
                        heapq.heappush(heap, other)
        for name in sorted(set(ready) - set(order)):
            self._fail(ready[name], "is part of a dependency cycle")
        return order

    def _register(self, status: PluginStatus) -> None:
        info, module = status.info, status.module
        assert info is not None
        try:
            if info.hookspecs is not None:
                self.pluggy.add_hookspecs(info.hookspecs)  # type: ignore[arg-type]
                self._collect_kinds(info.hookspecs)
            self.pluggy.register(module, name=info.name)
        except pluggy.PluginValidationError as error:
            self._fail(status, f"bad hook implementation: {error}")
            return
        except ValueError as error:
            self._fail(status, f"could not register: {error}")
            return
        unknown = self._unknown_hooks(info)
        if unknown:
            self.pluggy.unregister(name=info.name)
            self._fail(
                status,
                f"implements unknown hook(s) {', '.join(unknown)}; plugin {info.name!r} "
                f"supports hook API {info.hook_api}, this host provides {HOOK_API_VERSION}",
            )
            return
        status.status, status.reason = "loaded", ""
        self.statuses[info.name] = status
        self.order.append(info.name)

    def _unknown_hooks(self, info: PluginInfo) -> list[str]:
        optional_prefixes = tuple(
            f"{dep}_" for dep in info.optional if dep not in self.order
        )
        unknown = []
        for caller in (
            self.pluggy.get_hookcallers(self.pluggy.get_plugin(info.name)) or []
        ):
            if caller.has_spec():
                continue
            if caller.name.startswith(optional_prefixes):
                continue
            unknown.append(caller.name)
        return sorted(unknown)

    def _fail(self, status: PluginStatus, reason: str) -> bool:
        status.status, status.reason = "failed", reason
        self.statuses[status.name] = status
        where = (
            f" ({status.distribution} {status.version})" if status.distribution else ""
        )
        message = f"plugin {status.name!r}{where} {reason}"
        if self.strict:
            raise PluginError(message)
        log.warning("%s", message)
        return False

    def _collect_kinds(self, specs: object) -> None:
        for name in dir(specs):
            kind = getattr(getattr(specs, name), "crm_kind", None)
            if isinstance(kind, HookKind):
                self._kinds[name] = kind

    # -- calling ---------------------------------------------------------

    def kind(self, hook: str) -> HookKind:
        try:
            return self._kinds[hook]
        except KeyError:
            raise LookupError(f"no hook specification named {hook!r}") from None

    def implementations(self, hook: str) -> list[pluggy.HookImpl]:
        """Implementations of ``hook`` in call order (last registered first)."""
        caller = getattr(self.pluggy.hook, hook, None)
        if caller is None:
            return []
        return list(reversed(caller.get_hookimpls()))

    def _calls(
        self, hook: str, expected: HookKind, kwargs: dict[str, Any]
    ) -> Iterator[Any]:
        if self.kind(hook) is not expected:
            raise TypeError(f"hook {hook!r} is a {self.kind(hook).value} hook")
        for impl in self.implementations(hook):
            args = {name: kwargs[name] for name in impl.argnames}
            started = time.perf_counter()
            result = impl.function(**args)
            if self.trace:
                elapsed = (time.perf_counter() - started) * 1000
                trace_log.info("%s -> %s (%.2f ms)", hook, impl.plugin_name, elapsed)
            yield impl.plugin_name, result

    def collect(self, hook: str, **kwargs: Any) -> list[Contribution]:
        """Every plugin's answers, flattened, each with the plugin that gave it."""
        found: list[Contribution] = []
        for plugin, result in self._calls(hook, HookKind.COLLECT, kwargs):
            if result is None:
                continue
            items = result if isinstance(result, (list, tuple)) else [result]
            found.extend(Contribution(plugin, item) for item in items)
        return found

    def first(self, hook: str, **kwargs: Any) -> Contribution | None:
        """The first non-empty answer (later-registered plugins are asked first)."""
        for plugin, result in self._calls(hook, HookKind.FIRST_RESULT, kwargs):
            if result is not None:
                return Contribution(plugin, result)
        return None

    def veto(self, hook: str, **kwargs: Any) -> list[Contribution]:
        """All problems any plugin raises against a change; empty means allowed."""
        problems = []
        for plugin, result in self._calls(hook, HookKind.VETO, kwargs):
            for problem in result or ():
                problems.append(Contribution(plugin, problem))
        return problems

    def notify(self, hook: str, *, base_first: bool = False, **kwargs: Any) -> None:
        """Tell every plugin; one plugin's error is logged and the rest still run."""
        if self.kind(hook) is not HookKind.NOTIFY:
            raise TypeError(f"hook {hook!r} is a {self.kind(hook).value} hook")
        impls = self.implementations(hook)
        for impl in reversed(impls) if base_first else impls:
            try:
                impl.function(**{name: kwargs[name] for name in impl.argnames})
            except Exception:
                log.exception("plugin %r failed in hook %s", impl.plugin_name, hook)

    # -- inspection ------------------------------------------------------

    def loaded(self) -> list[PluginStatus]:
        return [self.statuses[name] for name in self.order]

    def report(self) -> list[PluginStatus]:
        return sorted(self.statuses.values(), key=lambda s: s.name)

    def module(self, name: str) -> ModuleType | object:
        return self.pluggy.get_plugin(name)
