"""The segment editor in a real browser: the builder writes the rules, the count follows."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [pytest.mark.browser, pytest.mark.crm_sqlite_only]


@pytest.fixture
def served(crm_app: Any) -> Iterator[str]:
    """The app on a free local port, in a background thread."""
    server = make_server("127.0.0.1", 0, crm_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Any]:
    """A chromium page that records console errors (CSP refusals among them)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; CI must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run"],
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


def test_the_builder_edits_rules_and_the_count_follows(
    served, browser_page, crm_user, add
):
    """Adding a condition in the builder rewrites the JSON and updates the live count."""
    user = crm_user("admin")
    for stage in ("lead", "lead", "prospect"):
        add(name=f"A {stage}", lifecycle_stage=stage)
    page = browser_page
    page.goto(f"{served}/segments/new")
    page.get_by_label("E-mail address").fill(user["email"])
    page.get_by_label("Password").fill(user["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{served}/segments/new")

    count = page.locator("[data-segment-count]")
    count.filter(has_text="3 matching customers").wait_for()
    page.get_by_role("button", name="Add condition").click()
    page.get_by_label("Field").select_option("lifecycle_stage")
    page.get_by_label("Value").select_option("lead")
    count.filter(has_text="2 matching customers").wait_for()
    rules = json.loads(page.locator("textarea[name=rules]").input_value())
    assert rules == {"all": [{"field": "lifecycle_stage", "op": "eq", "value": "lead"}]}

    page.locator("#f-name").fill("Leads")
    page.get_by_role("button", name="Save segment").click()
    page.wait_for_url(f"{served}/segments/*")
    assert "A lead" in page.locator("main").inner_text()
    assert page.console_errors == []
