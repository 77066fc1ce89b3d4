"""The settings API: reading with secrets masked, changing as an administrator."""

from __future__ import annotations

API = "/api/v1/settings"


def test_administrators_list_every_setting_with_secrets_masked(crm_api, change):
    """The list shows each setting's type, value and default; secrets only as set."""
    change({"acme.api_key": "top-secret", "acme.rate": "2.5"})
    response = crm_api("admin").get(API)
    assert response.status_code == 200
    items = {item["key"]: item for item in response.get_json()["items"]}
    assert items["acme.api_key"]["value"] is None
    assert items["acme.api_key"]["is_set"] is True
    assert "top-secret" not in response.get_data(as_text=True)
    assert items["acme.rate"]["value"] == "2.5"
    assert (
        items["acme.seats"] | {"value": 5, "default": 5, "is_default": True}
        == (items["acme.seats"])
    )
    assert items["files.max_upload_mb"]["plugin"] == "core"


def test_reading_needs_the_settings_read_permission(crm_api):
    """An agent may not read the settings; a manager may."""
    assert crm_api("agent").get(API).status_code == 403
    assert crm_api("manager").get(f"{API}/acme.seats").status_code == 200


def _etag(client, path=API):
    return client.get(path).headers["ETag"]


def test_patch_changes_several_settings_at_once(crm_api, settings):
    """Administrators change settings; the answer lists them all, with the new ETag."""
    client = crm_api("admin")
    response = client.patch(
        API,
        json={"acme.seats": 9, "acme.colour": "green", "acme.api_key": "k"},
        headers={"If-Match": _etag(client)},
    )
    assert response.status_code == 200
    values = {item["key"]: item["value"] for item in response.get_json()["items"]}
    changed = {"acme.seats": 9, "acme.colour": "green", "acme.api_key": None}
    assert values | changed == values
    assert response.headers["ETag"] == _etag(client)
    assert settings.get("acme.api_key") == "k"


def test_a_refused_value_answers_422_naming_the_key(crm_api, settings):
    """Each bad key is named with what it expects, and nothing is stored."""
    client = crm_api("admin")
    response = client.patch(
        API, json={"acme.seats": 0, "acme.rate": "1"}, headers={"If-Match": "*"}
    )
    assert response.status_code == 422
    body = response.get_json()
    assert list(body["errors"]) == ["acme.seats"]
    assert "below the minimum 1" in body["errors"]["acme.seats"][0]
    assert settings.get("acme.rate") == settings.spec("acme.rate").effective_default


def test_changing_needs_the_admin_settings_permission(crm_api):
    """A manager reading the settings cannot change them."""
    response = crm_api("manager").patch(
        API, json={"acme.seats": 3}, headers={"If-Match": "*"}
    )
    assert response.status_code == 403
    assert "admin.settings" in response.get_json()["detail"]


def test_put_sets_one_value_and_delete_resets_it(crm_api, settings):
    """One setting is changed with PUT and reset to its default with DELETE."""
    client = crm_api("admin")
    changed = client.put(f"{API}/acme.greeting", json={"value": "Welcome"})
    assert changed.get_json()["value"] == "Welcome"
    reset = client.delete(f"{API}/acme.greeting")
    assert reset.get_json() | {"value": "Hello", "is_default": True} == reset.get_json()
    assert settings.get("acme.greeting") == "Hello"


def test_an_unknown_key_is_not_found(crm_api):
    """Reading or changing a key no plugin declares answers 404."""
    client = crm_api("admin")
    assert client.get(f"{API}/acme.nothing").status_code == 404
    assert client.put(f"{API}/acme.nothing", json={"value": 1}).status_code == 404


def test_a_stale_etag_is_refused_with_the_current_settings(crm_api, change):
    """A change based on an old read answers 412 with what is stored now."""
    client = crm_api("admin")
    seen = _etag(client)
    assert client.patch(API, json={"acme.seats": 3}).status_code == 428
    change({"acme.seats": 4})
    stale = client.patch(API, json={"acme.seats": 3}, headers={"If-Match": seen})
    assert stale.status_code == 412
    current = {i["key"]: i["value"] for i in stale.get_json()["current"]["items"]}
    assert current["acme.seats"] == 4
    fresh = client.patch(
        API, json={"acme.seats": 3}, headers={"If-Match": stale.headers["ETag"]}
    )
    assert fresh.status_code == 200


def test_one_settings_etag_guards_its_put(crm_api, change):
    """PUT with an old ETag of the setting is refused."""
    client = crm_api("admin")
    path = f"{API}/acme.seats"
    seen = _etag(client, path)
    change({"acme.seats": 8})
    response = client.put(path, json={"value": 9}, headers={"If-Match": seen})
    assert response.status_code == 412
    assert response.get_json()["current"]["value"] == 8
