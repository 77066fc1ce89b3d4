"""One real browser walks through the pages: sign in, search, open, edit, history."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [pytest.mark.browser, pytest.mark.crm_sqlite_only]


def require_chromium() -> None:
    """Skip on a workstation without chromium; in CI a missing browser fails."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing; CI must install Debian's chromium")
    pytest.skip(f"{CHROMIUM} is not installed")


@pytest.fixture
def live_server(crm_app: Any) -> Iterator[str]:
    """The app served over HTTP on a free local port, in a background thread."""
    server = make_server("127.0.0.1", 0, crm_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def chromium_page(tmp_path: Path) -> Iterator[Any]:
    """A page in a fresh chromium profile, failing on any console error."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = context.new_page()
            page.console_errors = []
            page.on(
                "console",
                lambda message: (
                    message.type == "error" and page.console_errors.append(message.text)
                ),
            )
            yield page
        finally:
            context.close()


def test_sign_in_search_open_edit_and_see_the_history(
    live_server, chromium_page, crm_user, add_customer, tmp_path
):
    """A user finds a customer, renames it, changes a field and sees both in history."""
    user = crm_user("admin", name="Ada Admin")
    ana = add_customer(
        user, name="Ana Lima", emails=["ana@example.com"], attributes={"tier": "silver"}
    )
    add_customer(user, name="Bo Berg")
    add_customer(user, kind="organisation", name="Acme Ltd")
    page = chromium_page

    page.goto(f"{live_server}/customers")
    assert "/login" in page.url
    page.get_by_label("E-mail address").fill(user["email"])
    page.get_by_label("Password").fill(user["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/customers")

    page.get_by_label("Search").fill("lima")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/customers?q=lima**")
    rows = page.locator("table.records tbody tr")
    assert rows.count() == 1
    rows.get_by_role("link", name="Ana Lima").click()
    page.wait_for_url(f"{live_server}/customers/{ana['id']}")

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Name", exact=True).fill("Ana Souza")
    page.get_by_label("Tier").select_option("gold")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server}/customers/{ana['id']}")

    assert page.get_by_role("heading", level=1).inner_text() == "Ana Souza"
    assert "Ana Souza was saved." in page.locator(".flashes").inner_text()
    history = page.locator("section[aria-labelledby=history-title]").inner_text()
    assert "Name: Ana Lima → Ana Souza" in history
    assert "Tier: silver → gold" in history
    assert page.locator("link[rel=stylesheet]").count() == 1
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.topbar')).display")
        == "flex"
    ), "the stylesheet did not load"
    page.screenshot(path=str(tmp_path / "customer-page.png"), full_page=True)
    assert page.console_errors == []
