"""The settings page: every setting by plugin; secrets are never shown back."""

from __future__ import annotations

import re

PAGE = "/admin/settings"


def _token(client) -> str:
    page = client.get(PAGE).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _form(client, **values) -> dict:
    shown = [
        "acme.greeting",
        "acme.seats",
        "acme.rate",
        "acme.enabled",
        "acme.colour",
        "acme.api_key",
        "acme.partners",
    ]
    form = {
        "csrf_token": _token(client),
        "shown": shown,
        "acme.greeting": "Hello",
        "acme.seats": "5",
        "acme.rate": "0.25",
        "acme.colour": "red",
        "acme.api_key": "",
        "acme.partners": "",
    }
    form.update(values)
    return form


def test_the_page_lists_settings_by_plugin(crm_client, change):
    """Administrators see each plugin's settings; a stored secret shows as set."""
    change({"acme.api_key": "hidden-value"})
    page = crm_client("admin").get(PAGE)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Greeting" in text and "acme.seats" in text and "files.max_upload_mb" in text
    assert "hidden-value" not in text
    assert re.search(r'name="acme.api_key" type="password" value=""', text)
    assert "Currently <strong>set</strong>" in text


def test_saving_stores_the_changed_values(crm_client, settings):
    """The form stores what changed, typed."""
    client = crm_client("admin")
    form = _form(client, **{"acme.seats": "11", "acme.enabled": "on"})
    response = client.post(PAGE, data=form)
    assert response.status_code == 302
    assert settings.get("acme.seats") == 11
    assert settings.get("acme.enabled") is True


def test_an_empty_secret_field_keeps_the_stored_secret(crm_client, change, settings):
    """Leaving the secret empty keeps it; ticking reset removes it."""
    change({"acme.api_key": "keep-me"})
    client = crm_client("admin")
    client.post(PAGE, data=_form(client))
    assert settings.get("acme.api_key") == "keep-me"
    client.post(PAGE, data=_form(client, **{"reset:acme.api_key": "on"}))
    assert settings.get("acme.api_key") is None


def test_a_refused_value_is_shown_beside_its_field(crm_client, settings):
    """A wrong value re-shows the form with the reason, storing nothing."""
    client = crm_client("admin")
    response = client.post(PAGE, data=_form(client, **{"acme.seats": "lots"}))
    assert response.status_code == 400
    assert "expected a whole number" in response.get_data(as_text=True)
    assert settings.get("acme.seats") == 5


def test_agents_may_not_open_the_page(crm_client):
    """The page needs the settings permissions."""
    assert crm_client("agent").get(PAGE).status_code == 403
