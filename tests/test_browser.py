"""The pages in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`, which
.ci/run installs) driven by Selenium against `asmis api serve`. It signs in through the form, opens the
board, a deal and a call, and checks what a reader meets: no console errors (a CSP violation is one), no
sideways scrolling on a 390 px phone, the keyboard reaching and opening a deal, a deal page fitting an A4
page when printed. Screenshots and the printed PDF go to .artifacts/browser/ (ignored by git)."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.api_server import ApiServer, api_server
from tests.pages_helpers import Seeded, seeded_database
from tests.test_deals import DEAL
from tools.screenshots import CHROMIUM, DRIVER, chrome, sign_in

ARTIFACTS = Path(__file__).resolve().parents[1] / ".artifacts" / "browser"
A4_CONTENT_PX = 703  # 210 mm less the print CSS's 12 mm margins, at CSS's 96 px per inch

# Skipped on a machine without them, unless REQUIRE_BROWSER is set (.ci/run sets it: there it must run).
pytestmark = pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(DRIVER).exists())
                                and not os.environ.get("REQUIRE_BROWSER"),
                                reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
async def db(server_dsn: str, template_dsn: str, tmp_path_factory: pytest.TempPathFactory
             ) -> AsyncIterator[tuple[Seeded, asyncpg.Pool]]:
    async for seeded in seeded_database(server_dsn, tmp_path_factory.mktemp("browser-db")):
        yield seeded


@pytest.fixture(scope="module")
def server(db: tuple[Seeded, asyncpg.Pool], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    with api_server(db[0].url, tmp_path_factory.mktemp("browser")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(server: ApiServer, db: tuple[Seeded, asyncpg.Pool]) -> Iterator[Any]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver = chrome()
    try:
        driver.get(server.url + "/")
        assert "/sign-in" in driver.current_url
        sign_in(driver, server.url, db[0].read_key)
        assert driver.current_url.rstrip("/") == server.url, driver.current_url
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, condition: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15).until(condition)


def console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def phone(driver: Any, on: bool) -> None:
    if on:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    else:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def overflow(driver: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no sideways scroll)."""
    return int(driver.execute_script(
        "return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"))


def test_board_deal_and_call_open_without_console_errors_and_fit_a_phone(browser: Any, server: ApiServer,
                                                                       db: tuple[Seeded, asyncpg.Pool]) -> None:
    from selenium.webdriver.common.by import By

    seeded = db[0]
    browser.get_log("browser")  # drop what the sign-in left
    browser.get(server.url + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Deals"
    browser.save_screenshot(str(ARTIFACTS / "board-1280.png"))
    browser.find_element(By.LINK_TEXT, DEAL).click()
    wait_for(browser, lambda d: d.current_url.endswith(f"/deals/{DEAL}"))
    assert browser.current_url.endswith(f"/deals/{DEAL}")
    browser.save_screenshot(str(ARTIFACTS / "deal-1280.png"))
    call_id = seeded.ids["02-demo.txt"]
    browser.find_element(By.CSS_SELECTOR, f"table.grid thead a[href='/calls/{call_id}']").click()
    wait_for(browser, lambda d: d.current_url.endswith(f"/calls/{call_id}"))
    assert browser.current_url.endswith(f"/calls/{call_id}")
    marks = browser.find_elements(By.TAG_NAME, "mark")
    assert marks and all(m.is_displayed() for m in marks)
    browser.save_screenshot(str(ARTIFACTS / "call-1280.png"))
    assert console_errors(browser) == []
    try:
        phone(browser, True)
        for name, path in (("board", "/"), ("deal", f"/deals/{DEAL}"), ("call", f"/calls/{call_id}"),
                           ("prompts", "/prompts")):
            browser.get(server.url + path)
            wide = browser.execute_script(
                "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391 && !e.closest('.scroll'))"
                ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))")
            assert browser.execute_script("return window.innerWidth") == 390, (path, wide)
            assert overflow(browser) <= 0, f"{path} scrolls sideways at 390 px by {overflow(browser)} px"
            browser.save_screenshot(str(ARTIFACTS / f"{name}-390.png"))
        assert console_errors(browser) == []
    finally:
        phone(browser, False)


def test_the_keyboard_skips_to_the_content_and_opens_a_deal(browser: Any, server: ApiServer) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(server.url + "/")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    active = browser.switch_to.active_element
    assert active.text == "Skip to content" and active.is_displayed()
    assert browser.execute_script("return getComputedStyle(document.activeElement).outlineStyle") != "none"
    active.send_keys(Keys.ENTER)
    wait_for(browser, lambda d: d.current_url.endswith("#main"))
    for _ in range(40):  # from the content: the filters, then the first deals
        browser.switch_to.active_element.send_keys(Keys.TAB)
        if (browser.switch_to.active_element.get_attribute("href") or "").endswith(f"/deals/{DEAL}"):
            break
    else:
        raise AssertionError("40 tabs from the content did not reach the deal's link")
    assert browser.execute_script("return getComputedStyle(document.activeElement).outlineStyle") != "none"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(browser, lambda d: d.current_url.endswith(f"/deals/{DEAL}"))


def test_a_deal_page_prints_on_a4_without_cut_columns(browser: Any, server: ApiServer) -> None:
    from selenium.webdriver.common.print_page_options import PrintOptions

    browser.get(server.url + f"/deals/{DEAL}")
    try:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": A4_CONTENT_PX, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        assert browser.execute_script("return getComputedStyle(document.querySelector('header.site')).display") == "none"
        assert overflow(browser) <= 0
        cut = browser.execute_script(
            "return [...document.querySelectorAll('table')].filter(t => t.scrollWidth > t.parentElement.clientWidth + 1)"
            ".map(t => t.className + ' ' + t.scrollWidth + '>' + t.parentElement.clientWidth)")
        assert cut == []
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7
    pdf = base64.b64decode(browser.print_page(options))
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 1
    (ARTIFACTS / "deal-a4.pdf").write_bytes(pdf)
