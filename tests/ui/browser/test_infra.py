"""The browser-test infrastructure works: offline Solara assets, server subprocess, Chromium.

Serves tests/ui/browser/tiny_app.py (a button, a counter, a matplotlib figure), clicks the
button and checks the round trip through the Python kernel, with no browser-side errors.
Runs in Solara's default (dev) mode and in --production mode, which load different
bundles (solara-vuetify-app8.js vs .min.js).
"""

from __future__ import annotations

import pytest

from .helpers import open_app

pytestmark = pytest.mark.browser

TINY_APP = "tests/ui/browser/tiny_app.py"


@pytest.mark.parametrize("production", [False, True], ids=["dev", "production"])
def test_tiny_app_click_updates_counter(
    serve_app, page, page_problems, save_screenshot, production
):
    server = serve_app(TINY_APP, production=production)
    log_mark = server.log_mark()

    open_app(page, server.url)

    count = page.locator(".tiny-count")
    count.wait_for(state="visible")
    assert count.inner_text().strip() == "Count: 0"

    # the matplotlib figure arrived as a real, decoded image
    figure = page.locator("img").first
    figure.wait_for(state="visible")
    width = page.wait_for_function(
        "img => img.complete && img.naturalWidth", arg=figure.element_handle()
    ).json_value()
    assert width >= 300, f"figure image is {width} px wide"
    # Vuetify's stylesheet applied (a blank or unstyled page has no primary-coloured button)
    button = page.locator(".tiny-increment")
    bg = button.evaluate("el => getComputedStyle(el).backgroundColor")
    assert bg not in ("rgba(0, 0, 0, 0)", "transparent", ""), f"button unstyled ({bg})"

    save_screenshot(page, "before-click")
    src_before = figure.get_attribute("src")
    button.click()
    page.wait_for_function(
        "() => document.querySelector('.tiny-count')?.innerText.trim() === 'Count: 1'"
    )
    button.click()
    page.wait_for_function(
        "() => document.querySelector('.tiny-count')?.innerText.trim() === 'Count: 2'"
    )
    # the figure was re-rendered for the new state
    page.wait_for_function(
        "([img, before]) => img.src !== before && img.complete && img.naturalWidth > 0",
        arg=[figure.element_handle(), src_before],
    )
    save_screenshot(page, "after-clicks")

    page_problems.assert_none(f"on {server.url}")
    server.assert_no_errors(since=log_mark)
