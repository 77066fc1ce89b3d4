"""The plugin manager: discovery, enablement, order, isolation and hook kinds."""

from __future__ import annotations

import logging
import types

import pytest

from crm_core import PluginInfo, Problem, hookimpl
from crm_core.config import Config
from crm_core.host import Host, HostError
from crm_core.plugins import PluginError, PluginManager, discover, module_candidate
from crm_core.testing import make_plugin

FIRST_PARTY = {"sales", "marketing", "service", "analytics", "strategy"}


def manager(*plugins: object, strict: bool = False, enabled=None) -> PluginManager:
    from crm_core import core_plugin

    pm = PluginManager(strict=strict)
    candidates = [module_candidate(core_plugin, "core")]
    candidates += [module_candidate(p) for p in plugins]
    pm.load(candidates, enabled)
    return pm


def test_first_party_plugins_are_found_through_entry_points():
    """The five first-party plugins are registered in the crm.plugins group."""
    found = {candidate.name: candidate for candidate in discover()}
    assert FIRST_PARTY <= set(found)
    assert found["sales"].distribution == "strata-crm"


def test_all_installed_plugins_load_by_default(tmp_path):
    """With no enable list every installed plugin loads, the core first."""
    host = Host(Config(database_url=f"sqlite:///{tmp_path}/x.db", strict_plugins=True))
    statuses = {s.name: s.status for s in host.plugins.report()}
    assert host.plugins.order[0] == "core"
    assert all(statuses[name] == "loaded" for name in FIRST_PARTY)


def test_enable_list_disables_the_rest(tmp_path, monkeypatch):
    """The environment's enable list wins and disabled plugins say why."""
    monkeypatch.setenv("CRM_PLUGINS", "sales, service")
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    host = Host(Config.load({"plugins": "analytics"}))
    statuses = {s.name: s for s in host.plugins.report()}
    assert statuses["sales"].status == "loaded"
    assert statuses["analytics"].status == "disabled"
    assert statuses["analytics"].reason == "not in the enabled plugin list"


def test_registration_follows_dependencies_with_ties_by_name():
    """Plugins register after what they require, ties broken by name."""
    zeta = make_plugin("zeta")
    alpha = make_plugin("alpha", requires=("core", "zeta"))
    beta = make_plugin("beta")
    pm = manager(alpha, beta, zeta, strict=True)
    assert pm.order == ["core", "beta", "zeta", "alpha"]


def test_broken_import_is_reported_and_others_load():
    """A plugin whose import fails is marked failed with the cause; others load."""
    from crm_core import core_plugin
    from crm_core.plugins import Candidate

    def broken():
        raise ImportError("No module named 'acme_missing'")

    pm = PluginManager()
    good = make_plugin("good")
    pm.load(
        [
            module_candidate(core_plugin, "core"),
            module_candidate(good),
            Candidate("acme", broken, "acme-crm", "1.2"),
        ],
        None,
    )
    status = {s.name: s for s in pm.report()}
    assert status["good"].status == "loaded"
    assert status["acme"].status == "failed"
    assert "ImportError: No module named 'acme_missing'" in status["acme"].reason
    assert status["acme"].distribution == "acme-crm"


def test_strict_mode_fails_fast():
    """In strict mode the first broken plugin stops loading with its reason."""
    needy = make_plugin("needy", requires=("core", "absent"))
    with pytest.raises(
        PluginError, match="needs plugin 'absent', which is not installed"
    ):
        manager(needy, strict=True)


def test_unmet_dependency_fails_its_dependents():
    """A plugin needing a failed plugin fails too, saying which and why."""
    base = make_plugin("base", hook_api=">=7")
    child = make_plugin("child", requires=("core", "base"))
    pm = manager(base, child)
    status = {s.name: s for s in pm.report()}
    assert "needs hook API >=7, this host provides 1.1" in status["base"].reason
    assert status["child"].status == "failed"
    assert "plugin 'base', which is failed" in status["child"].reason


def test_unknown_hook_name_is_rejected_naming_plugin_and_range():
    """A misspelt hook is refused with the plugin's name and the hook-API range."""
    plugin = make_plugin("typo", crm_permisions=lambda: [])
    pm = manager(plugin)
    reason = {s.name: s for s in pm.report()}["typo"].reason
    assert "unknown hook(s) crm_permisions" in reason
    assert "supports hook API >=1,<2, this host provides 1.1" in reason


def test_bad_hook_signature_is_rejected():
    """An implementation asking for arguments the spec lacks fails to register."""
    plugin = make_plugin(
        "badsig", crm_customer_owner=lambda customer, actor, nonsense: 1
    )
    status = {s.name: s for s in manager(plugin).report()}["badsig"]
    assert status.status == "failed"
    assert "bad hook implementation" in status.reason and "nonsense" in status.reason


def test_missing_declaration_is_reported():
    """A module without a PLUGIN declaration is reported, not loaded."""
    bare = types.SimpleNamespace()
    from crm_core import core_plugin
    from crm_core.plugins import Candidate

    pm = PluginManager()
    pm.load(
        [module_candidate(core_plugin, "core"), Candidate("bare", lambda: bare)], None
    )
    assert (
        "has no PLUGIN declaration" in {s.name: s for s in pm.report()}["bare"].reason
    )


def test_collect_results_name_the_plugin_that_gave_them():
    """Every collected answer carries the name of the plugin that returned it."""
    plugin = make_plugin("acme", crm_navigation=lambda: ["a", "b"])
    found = manager(plugin).collect("crm_navigation")
    assert [(c.plugin, c.value) for c in found if c.plugin == "acme"] == [
        ("acme", "a"),
        ("acme", "b"),
    ]


def test_first_result_asks_the_extension_before_the_base():
    """The plugin registered later (the extension) answers first; None defers."""
    base = make_plugin("base", crm_customer_owner=lambda customer, actor: 1)
    ext = make_plugin(
        "ext",
        requires=("core", "base"),
        crm_customer_owner=lambda customer, actor: 2 if customer["vip"] else None,
    )
    pm = manager(base, ext)
    assert pm.first("crm_customer_owner", customer={"vip": True}, actor=None).value == 2
    answer = pm.first("crm_customer_owner", customer={"vip": False}, actor=None)
    assert (answer.plugin, answer.value) == ("base", 1)


def test_veto_gathers_every_problem():
    """Each vetoing plugin's problems are returned with its name."""
    one = make_plugin(
        "one", crm_before_delete=lambda record_type, ids: [Problem("locked")]
    )
    two = make_plugin("two", crm_before_delete=lambda record_type, ids: [])
    problems = manager(one, two).veto(
        "crm_before_delete", record_type="customer", ids=[1]
    )
    assert [(p.plugin, p.value.message) for p in problems] == [("one", "locked")]


def test_notify_isolates_a_failing_plugin(caplog):
    """A notify hook that raises is logged with the plugin's name; others still run."""
    seen = []

    def explode(demo):
        raise RuntimeError("boom")

    bad = make_plugin("bad", crm_demo_data=explode)
    good = make_plugin("good", crm_demo_data=lambda demo: seen.append(demo))
    with caplog.at_level(logging.ERROR):
        manager(bad, good).notify("crm_demo_data", demo="d")
    assert "d" in seen
    assert "plugin 'bad' failed in hook crm_demo_data" in caplog.text


def test_hook_tracing_logs_each_call(caplog):
    """With tracing on, each hook call is logged with the plugin that answered."""
    from crm_core import core_plugin

    pm = PluginManager(trace=True)
    pm.load([module_candidate(core_plugin, "core")], None)
    with caplog.at_level(logging.INFO, logger="crm_core.hooks"):
        pm.collect("crm_permissions")
    assert "crm_permissions -> core" in caplog.text


def test_plugin_hookspecs_serve_other_plugins():
    """A plugin may declare its own hook specification that later plugins implement."""
    from crm_core.contract import first_result

    class Specs:
        @staticmethod
        @first_result
        def acme_pick(options):
            """Pick one.

            .. versionadded:: 1.0
            """

    base = types.SimpleNamespace(
        PLUGIN=PluginInfo(
            name="acme",
            version="1",
            hook_api=">=1",
            requires=("core",),
            hookspecs=Specs,
        )
    )
    ext = make_plugin(
        "acmeplus", requires=("core", "acme"), acme_pick=lambda options: options[-1]
    )
    pm = manager(base, ext, strict=True)
    assert pm.first("acme_pick", options=[1, 2, 3]).value == 3


def test_two_plugins_claiming_one_table_stop_the_host(tmp_path):
    """A name claimed twice is detected at start-up, naming both plugins."""
    from sqlalchemy import Column, Integer, MetaData, Table

    table = Table("acme_things", MetaData(), Column("id", Integer, primary_key=True))
    one = make_plugin("acme", crm_tables=lambda: [table])
    two = make_plugin("acme2", crm_tables=lambda: [table])
    config = Config(
        database_url=f"sqlite:///{tmp_path}/x.db", plugins=("acme", "acme2")
    )
    with pytest.raises(
        HostError, match="plugins 'acme2?' and 'acme2?' both claim 'acme_things'"
    ):
        Host(config, plugins=[one, two], use_installed=False)


def test_hookimpl_marker_is_the_public_one():
    """Plugins mark implementations with crm_core.hookimpl."""
    assert hookimpl.project_name == "crm"
