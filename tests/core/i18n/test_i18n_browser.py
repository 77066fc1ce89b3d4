"""A real browser switches the language from the header and fills in a web form."""

from __future__ import annotations

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
def live_server(crm_app: Any) -> Iterator[str]:
    """The app served on a free local port in a background thread."""
    server = make_server("127.0.0.1", 0, crm_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    """A headless chromium page that records console errors."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            context = browser.new_context(locale="en-US")
            opened = context.new_page()
            opened.console_errors = []
            opened.on(
                "console",
                lambda message: (
                    message.type == "error"
                    and opened.console_errors.append(message.text)
                ),
            )
            yield opened
        finally:
            browser.close()


def test_choosing_a_language_in_the_header_applies_at_once(live_server, page):
    """Picking 简体中文 reloads the page in Chinese without pressing a button."""
    page.goto(f"{live_server}/login")
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in to Strata"
    with page.expect_navigation():
        page.get_by_label("Language").select_option("zh_Hans_CN")
    assert page.get_by_role("heading", level=1).inner_text() == "登录 Strata"
    assert page.locator("html").get_attribute("lang") == "zh-Hans-CN"
    assert page.console_errors == []
