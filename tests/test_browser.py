"""The pages in a real browser: headless Chromium (Debian's) driven by Selenium.

Skipped where Chromium is not installed, unless IMAGRAPH_REQUIRE_BROWSER is set (CI sets it, and
installs Chromium, so there these tests can only pass or fail).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
import requests

from .conftest import TESTS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
AVAILABLE = os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)

if not AVAILABLE and not os.environ.get("IMAGRAPH_REQUIRE_BROWSER"):
    pytest.skip("Chromium and chromedriver are not installed", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[webdriver.Chrome]:
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium download anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--window-size=1280,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)  # a page that never loads fails its test, not the run
    try:
        yield driver
    finally:
        driver.quit()


def set_query(driver: webdriver.Chrome, text: str) -> None:
    """Put a query into the page's editor (CodeMirror over the form's text area)."""
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return !!document.querySelector('.CodeMirror')")
    )
    driver.execute_script(
        "document.querySelector('.CodeMirror').CodeMirror.setValue(arguments[0])", text
    )


def console_errors(driver: webdriver.Chrome) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def policy_violations(driver: webdriver.Chrome) -> list[str]:
    return [
        e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]
    ]


def test_landing_page_loads_without_console_errors(browser, server):
    browser.get(server)
    assert browser.find_element(By.TAG_NAME, "h1").text in (
        "IMA nöB knowledge graph",
        "Wissensgraph des IMA nöB",
    )
    assert console_errors(browser) == []


def test_links_navigate_from_meeting_to_organiser(browser, server):
    browser.get(server + "?lang=en")
    browser.find_element(
        By.LINK_TEXT, "Second meeting with Länder and municipalities, 14 October 2025"
    ).click()
    WebDriverWait(browser, 10).until(ec.url_contains("/meeting/2025-10-14-network"))
    assert (
        browser.find_element(By.TAG_NAME, "h1").text
        == "Second meeting with Länder and municipalities, 14 October 2025"
    )
    browser.find_element(By.LINK_TEXT, "Federal Ministry of the Interior").click()
    WebDriverWait(browser, 10).until(ec.url_contains("/org/bmi"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Federal Ministry of the Interior"
    assert console_errors(browser) == []


def test_language_switch(browser, server):
    browser.get(server + "meeting/2025-10-14-network?lang=en")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    browser.find_element(By.ID, "lang-de").click()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "de"
    )
    assert (
        browser.find_element(By.TAG_NAME, "h1").text
        == "Zweites Treffen mit Ländern und Kommunen am 14. Oktober 2025"
    )
    assert browser.find_element(By.LINK_TEXT, "Veranstalter").is_displayed()
    assert console_errors(browser) == []


def test_topic_tree_and_details_open(browser, server):
    browser.get(server + "?lang=de")
    summary = browser.find_elements(By.TAG_NAME, "summary")[0]
    summary.click()
    assert browser.find_elements(By.TAG_NAME, "details")[0].get_attribute("open") is not None
    browser.find_element(By.LINK_TEXT, "Produktblätter").click()
    WebDriverWait(browser, 10).until(ec.url_contains("/topic/product-sheets"))
    assert console_errors(browser) == []


def test_query_page_runs_a_query_and_shares_it_by_url(browser, server):
    browser.get(server + "sparql?lang=en")
    set_query(browser, "SELECT ?t WHERE { ?t a imo:Topic } ORDER BY ?t")
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "row-count")))
    assert browser.find_element(By.ID, "row-count").text == "23"
    assert "query=SELECT" in browser.current_url
    shared = browser.current_url
    browser.get(shared)
    assert browser.find_element(By.ID, "row-count").text == "23"
    browser.find_element(By.PARTIAL_LINK_TEXT, "topic/bidder-challenges").click()
    WebDriverWait(browser, 10).until(ec.url_contains("/topic/bidder-challenges"))
    assert console_errors(browser) == []


BROKEN_MEETING = """@prefix imo: <https://w3id.org/imanoeb/ontology#> .
@prefix schema: <https://schema.org/> .
<https://example.org/m> a imo:Meeting, imo:NetworkMeeting, schema:Event ; schema:name "Treffen"@de .
"""


def test_validation_form_paste_upload_and_language(browser, server, tmp_path):
    browser.get(server + "validate?lang=en")
    browser.find_element(By.ID, "text").send_keys(BROKEN_MEETING)
    browser.find_element(By.ID, "check").click()
    WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.ID, "violations")))
    assert browser.find_element(By.ID, "violations").text.startswith("Does not conform")
    messages = [m.text for m in browser.find_elements(By.CLASS_NAME, "message")]
    assert "A meeting needs exactly one English name (schema:name with @en)." in messages
    assert browser.find_elements(By.CSS_SELECTOR, "article.focus h3")[0].text.startswith("Treffen")
    # switch to German and upload a conformant file
    browser.find_element(By.ID, "lang-de").click()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "de"
    )
    upload = tmp_path / "minimal.ttl"
    upload.write_text(
        (TESTS / "data" / "minimal.ttl").read_text(encoding="utf-8"), encoding="utf-8"
    )
    browser.find_element(By.ID, "file").send_keys(str(upload))
    browser.find_element(By.ID, "check").click()
    WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.ID, "conforms")))
    assert browser.find_element(By.ID, "conforms").text.startswith("Konform")
    assert console_errors(browser) == []


PAGES = (
    "", "meeting/2025-10-14-network", "org/bmi", "org/ima-noeb", "source/s1",
    "topic/sustainable-public-procurement", "ontology", "shapes", "sparql", "validate",
    "catalog", "dumps", "queries/meetings-in-date-order", "no-such-page",
    "sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%2050",
)  # fmt: skip


@pytest.mark.parametrize("width", [390, 1280])
def test_no_page_scrolls_sideways_on_a_phone_or_a_desktop(browser, server, width):
    """Every page fits a 390 px phone and a desktop in both languages, its menu whole."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 844, "deviceScaleFactor": 1, "mobile": width < 500},
    )
    try:
        wide = []
        for lang in ("de", "en"):
            for page in PAGES:
                browser.get(f"{server}{page}{'&' if '?' in page else '?'}lang={lang}")
                scroll = browser.execute_script("return document.documentElement.scrollWidth")
                menu = browser.execute_script(
                    "return Math.max(...Array.from(document.querySelectorAll('header.site a'),"
                    " a => a.getBoundingClientRect().right))"
                )
                if scroll > width or menu > width:
                    wide.append((lang, page, scroll, menu))
        assert wide == []
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.get_log("browser")  # the 404 page's status, logged by the browser as it should


def test_the_chosen_language_is_kept_on_the_next_click(browser, server):
    browser.get(server + "?lang=de")
    browser.find_element(
        By.LINK_TEXT, "Zweites Treffen mit Ländern und Kommunen am 14. Oktober 2025"
    ).click()
    WebDriverWait(browser, 10).until(ec.url_contains("/meeting/2025-10-14-network"))
    assert "lang=" not in browser.current_url
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "de"
    browser.find_element(By.LINK_TEXT, "Ontologie").click()
    WebDriverWait(browser, 10).until(ec.url_contains("/ontology"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "de"
    browser.get(server + "nothing-here")
    assert browser.find_element(By.ID, "error-heading").text == "Nicht gefunden (404)"
    assert browser.find_element(By.LINK_TEXT, "Ontologie").is_displayed()
    browser.get(server + "?lang=en")  # leave the browser in English for the other tests
    browser.get_log("browser")  # the 404 page's status, logged by the browser as it should


def test_a_long_query_runs_from_the_page(browser, server):
    browser.get(server + "sparql?lang=en")
    long_query = "# " + "a long comment " * 400 + "\nSELECT ?t WHERE { ?t a imo:Topic } ORDER BY ?t"
    set_query(browser, long_query)
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "row-count")))
    assert browser.find_element(By.ID, "row-count").text == "23"
    assert "query=" not in browser.current_url  # sent by POST, not refused as too long
    assert browser.find_element(By.ID, "query").get_attribute("value") == long_query
    assert console_errors(browser) == []


def test_the_editor_highlights_and_completes_our_terms_offline(browser, server):
    browser.get(server + "sparql?lang=en")
    set_query(browser, "SELECT ?m WHERE { ?m a ")
    editor = browser.find_element(By.CSS_SELECTOR, ".CodeMirror")
    assert browser.find_elements(By.CSS_SELECTOR, ".CodeMirror .cm-keyword")  # highlighted
    browser.execute_script(
        "const cm = arguments[0].CodeMirror; cm.focus(); cm.setCursor(cm.lineCount(), 0)", editor
    )
    editor.find_element(By.CSS_SELECTOR, "textarea").send_keys("imo:Mee")
    WebDriverWait(browser, 10).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".CodeMirror-hints"))
    )
    offered = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".CodeMirror-hint")]
    assert "imo:Meeting" in offered
    editor.find_element(By.CSS_SELECTOR, "textarea").send_keys(Keys.ENTER)
    text = browser.execute_script("return arguments[0].CodeMirror.getValue()", editor)
    assert text.endswith("?m a imo:Meeting")
    # every file the page needs comes from this server
    sources = browser.execute_script(
        "return Array.from(document.querySelectorAll('script[src], link[href]'),"
        " e => e.src || e.href)"
    )
    assert sources and all(s.startswith(server) or s.startswith("data:") for s in sources)
    assert console_errors(browser) == []


def test_the_content_security_policy_is_enforced_and_breaks_nothing(browser, server):
    """The pages under their policy: the editor highlights, completes and runs a query, the
    language switch and the validation form work, and the browser reports no violation; an
    inline script put into a page does not run, and that is reported (so none above is)."""
    assert (
        "script-src 'self'" in requests.get(server, timeout=30).headers["Content-Security-Policy"]
    )
    browser.get(server + "sparql?lang=en")
    policy_violations(browser)  # only what follows
    set_query(browser, "SELECT ?t WHERE { ?t a imo:Topic } ORDER BY ?t")
    editor = browser.find_element(By.CSS_SELECTOR, ".CodeMirror")
    assert browser.find_elements(By.CSS_SELECTOR, ".CodeMirror .cm-keyword")
    browser.execute_script(
        "const cm = arguments[0].CodeMirror; cm.focus(); cm.execCommand('goDocEnd')", editor
    )
    editor.find_element(By.CSS_SELECTOR, "textarea").send_keys(" # imo:Mee")
    WebDriverWait(browser, 10).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".CodeMirror-hints"))
    )
    editor.find_element(By.CSS_SELECTOR, "textarea").send_keys(Keys.ESCAPE)
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.ID, "row-count")))
    assert browser.find_element(By.ID, "row-count").text == "23"
    browser.find_element(By.ID, "lang-de").click()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "de"
    )
    assert browser.find_element(By.ID, "row-count").text == "23"
    browser.get(server + "validate?lang=en")
    browser.find_element(By.ID, "text").send_keys(BROKEN_MEETING)
    browser.find_element(By.ID, "check").click()
    WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.ID, "violations")))
    for page in ("", "org/bmi", "catalog", "search?q=bund", "no-such-page"):
        browser.get(server + page)
    assert policy_violations(browser) == []
    ran = browser.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        "document.head.appendChild(s); return window.ran === 1"
    )
    assert ran is False
    WebDriverWait(browser, 10).until(lambda d: policy_violations(d))
    browser.get(server + "?lang=en")  # leave the browser in English for the other tests
    browser.get_log("browser")
