"""The settings service: declarations, typed values, checks, secrets, audit."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from crm_core import audit
from crm_core.app import create_app
from crm_core.customers import InvalidInput
from crm_core.host import Host, HostError
from crm_core.security import SYSTEM, PermissionDenied
from crm_core.settings import InvalidSetting, SettingSpec, settings_service
from crm_core.settings.service import UnknownSetting
from crm_core.testing import make_plugin


def test_hook_crm_settings_declares_settings_read_with_their_defaults(settings):
    """Every declared setting reads as its typed default until one is stored."""
    assert settings.get("acme.greeting") == "Hello"
    assert settings.get("acme.seats") == 5
    assert settings.get("acme.rate") == Decimal("0.25")
    assert settings.get("acme.enabled") is False
    assert settings.get("acme.colour") == "red"
    assert settings.get("acme.api_key") is None
    assert settings.get("acme.partners") == []
    assert settings.owners["acme.seats"] == "acme"


def test_the_shared_services_declare_their_own_settings(settings):
    """The core's files, outbound and tasks settings are declared by the core."""
    assert settings.get("files.max_upload_mb") == 25
    assert settings.get("outbound.allowed_hosts") == []
    assert settings.get("tasks.email_reminders") is True
    assert settings.owners["tasks.due_soon_hours"] == "core"


def test_stored_values_are_typed(change, settings):
    """Values come back in their declared types, decimals exact."""
    change(
        {
            "acme.seats": 12,
            "acme.rate": "1.10",
            "acme.enabled": True,
            "acme.partners": ["Hooks.Example.com", "10.0.0.0/8"],
        }
    )
    assert settings.get("acme.seats") == 12
    assert settings.get("acme.rate") == Decimal("1.10")
    assert settings.get("acme.enabled") is True
    assert settings.get("acme.partners") == ["hooks.example.com", "10.0.0.0/8"]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("acme.seats", "many", "expected a whole number"),
        ("acme.seats", 0, "below the minimum 1"),
        ("acme.seats", 101, "above the maximum 100"),
        ("acme.seats", True, "expected a whole number"),
        ("acme.rate", "a lot", "expected a number such as 12.5"),
        ("acme.rate", "NaN", "expected a finite number"),
        ("acme.enabled", "yes", "expected true or false"),
        ("acme.colour", "blue", "not one of 'red', 'green'"),
        ("acme.api_key", "   ", "a secret cannot be empty"),
        ("acme.greeting", 5, "expected text"),
        ("acme.partners", ["10.0.0.5/8"], "not a network"),
        ("acme.partners", "bad host!", "not a host name"),
        ("acme.greeting", None, "a value is needed"),
    ],
)
def test_a_wrong_value_is_refused_naming_the_key_and_what_was_expected(
    change, key, value, expected
):
    """Each refused value's message says what the setting expects."""
    with pytest.raises(InvalidInput) as refused:
        change({key: value})
    assert list(refused.value.errors) == [key]
    assert expected in refused.value.errors[key][0]


def test_nothing_is_stored_when_one_value_of_several_is_refused(change, settings):
    """A batch of changes is all or nothing."""
    with pytest.raises(InvalidInput):
        change({"acme.seats": 9, "acme.colour": "purple"})
    assert settings.get("acme.seats") == 5


def test_an_unknown_key_is_refused_with_close_names(change, settings):
    """A misspelt key is named, with the declared keys it resembles."""
    with pytest.raises(UnknownSetting, match="did you mean 'acme.seats'"):
        settings.get("acme.seat")
    with pytest.raises(InvalidInput) as refused:
        change({"acme.seat": 3})
    assert (
        "no plugin declares a setting 'acme.seat'"
        in refused.value.errors["acme.seat"][0]
    )


def test_form_text_is_read_in_the_declared_type(crm_host, settings):
    """Text from the settings page becomes numbers, booleans and host lists."""
    values = {
        "acme.seats": " 8 ",
        "acme.enabled": "on",
        "acme.partners": "a.test\nb.test",
    }
    with crm_host.db.transaction() as connection:
        settings.update(connection, SYSTEM, values, from_form=True)
    assert settings.get("acme.seats") == 8
    assert settings.get("acme.enabled") is True
    assert settings.get("acme.partners") == ["a.test", "b.test"]


def test_changing_needs_the_admin_settings_permission(crm_host, crm_actor, settings):
    """A manager may read the settings but not change them."""
    manager = crm_actor("manager")
    with crm_host.db.transaction() as connection, pytest.raises(PermissionDenied):
        settings.update(connection, manager, {"acme.seats": 6})


def test_secrets_are_masked_in_listings_and_never_audited(
    crm_host, crm_actor, settings
):
    """A stored secret reads back through get only; listings and history say 'set'."""
    admin = crm_actor("admin")
    with crm_host.db.transaction() as connection:
        settings.update(connection, admin, {"acme.api_key": "s3cret-value"})
        settings.update(connection, admin, {"acme.api_key": "n3w-value"})
        described = settings.describe_one(connection, "acme.api_key")
        history = audit.history(connection, "setting", "acme.api_key")
    assert settings.get("acme.api_key") == "n3w-value"
    assert described["value"] is None and described["is_set"] is True
    assert "s3cret" not in repr(history) and "n3w" not in repr(history)
    assert [entry["changes"]["value"] for entry in history] == [
        ["(not set)", "(set)"],
        ["(set)", "(replaced)"],
    ]


def test_changes_are_audited_with_before_and_after(change, crm_host, crm_actor):
    """The audit log keeps who changed a setting, from which value to which."""
    admin = crm_actor("admin")
    change({"acme.seats": 7}, actor=admin)
    with crm_host.db.connect() as connection:
        history = audit.history(connection, "setting", "acme.seats")
    assert history[-1]["changes"] == {"value": [5, 7]}
    assert history[-1]["actor_id"] == admin.id


def test_storing_the_current_value_changes_nothing(change):
    """Setting a value it already has is not a change (and is not audited)."""
    assert change({"acme.seats": 5}) == []
    assert change({"acme.seats": 6}) == ["acme.seats"]
    assert change({"acme.seats": 6}) == []


def test_reset_brings_the_default_back(crm_host, change, settings):
    """Resetting removes the stored value."""
    change({"acme.colour": "green"})
    with crm_host.db.transaction() as connection:
        assert settings.reset(connection, SYSTEM, "acme.colour") is True
        assert settings.reset(connection, SYSTEM, "acme.colour") is False
    assert settings.get("acme.colour") == "red"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"type": "integer", "default": "x"}, "expected a whole number"),
        ({"type": "secret", "default": "abc"}, "cannot have a default"),
        ({"type": "choice"}, "needs at least one choice"),
    ],
)
def test_a_wrong_declaration_fails_where_the_plugin_makes_it(arguments, message):
    """Declarations are checked when built, naming the setting."""
    with pytest.raises(ValueError, match=message):
        SettingSpec("acme.thing", **arguments)


def test_invalid_setting_names_the_key():
    """The error of a bad value starts with the setting's key."""
    spec = SettingSpec("acme.count", "integer")
    with pytest.raises(InvalidSetting, match="setting 'acme.count': expected"):
        spec.coerce("seven")


def test_two_plugins_declaring_one_key_stop_the_start(crm_config):
    """The same key from two plugins is refused when the host starts its settings."""
    spec = SettingSpec("acme.colour", "text")
    plugins = [
        make_plugin("acme", crm_settings=lambda: [spec]),
        make_plugin("beta", crm_settings=lambda: [spec]),
    ]
    host = Host(attrs.evolve(crm_config, plugins=("acme", "beta")), plugins=plugins)
    try:
        with pytest.raises(HostError, match="both claim 'acme.colour'"):
            settings_service(host)
        with pytest.raises(HostError, match="acme.colour"):
            create_app(host=host)
    finally:
        host.close()


def test_a_plugin_declares_keys_under_its_own_name_only(crm_config):
    """A key outside the plugin's prefix is refused at start-up."""
    plugin = make_plugin(
        "beta", crm_settings=lambda: [SettingSpec("acme.colour", "text")]
    )
    host = Host(attrs.evolve(crm_config, plugins=("beta",)), plugins=[plugin])
    try:
        with pytest.raises(HostError, match="must start with 'beta.'"):
            settings_service(host)
    finally:
        host.close()
