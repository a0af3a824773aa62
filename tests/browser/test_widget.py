"""The website widget in a real browser (Debian's Chromium driven by Playwright) against the real
servers: conversation, buttons, keyboard only, quick exit, no trace, inert HTML, accessibility."""
import json
import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("SV_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
EXIT_URL = "https://www.google.it/"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/debian_tool.sh /usr/bin/chromium chromium chromium-driver")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, bot):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    # The exit page is the only outside address; it is answered locally, nothing leaves the machine.
    page.route(EXIT_URL + "**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                            body="<html><body>Meteo</body></html>"))
    page.requests = []
    page.on("request", lambda req: page.requests.append(req.url))
    page.goto(bot.web + "/")
    page.wait_for_selector(".sv-widget")
    yield page
    context.close()


def bot_text(page):
    return page.locator(".sv-bot").all_inner_texts()


def wait_bot_contains(page, text, timeout=30000):
    page.wait_for_function(
        "t => Array.from(document.querySelectorAll('.sv-bot')).some(n => n.textContent.includes(t))",
        arg=text, timeout=timeout)


def send(page, text):
    page.fill(".sv-input", text)
    page.press(".sv-input", "Enter")


def test_send_a_message_and_get_the_reply(page):
    send(page, "ciao")
    wait_bot_contains(page, "Sportello Vittime")
    assert page.locator(".sv-user").first.inner_text().endswith("ciao")
    assert page.locator(".sv-choice", has_text="Denuncia o querela").count() == 1


def test_click_a_button(page):
    send(page, "ciao")
    page.locator(".sv-choice", has_text="Avvocato gratuito").click()
    wait_bot_contains(page, "patrocinio a spese dello Stato")
    wait_bot_contains(page, "Riferimenti:")
    assert page.locator(".sv-user").last.inner_text().endswith("Avvocato gratuito")


def test_keyboard_only_conversation(page):
    page.keyboard.press("Tab")  # exit button comes first: always reachable
    assert page.evaluate("document.activeElement.className") == "sv-exit"
    for _ in range(6):
        if page.evaluate("document.activeElement.classList.contains('sv-input')"):
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('sv-input')")
    page.keyboard.type("cos'è l'ammonimento?")
    page.keyboard.press("Enter")
    wait_bot_contains(page, "questore")
    page.locator(".sv-choice", has_text="Vuoi sapere di più?").wait_for()
    # reach the first suggested button from the input with Shift+Tab and press it with the keyboard
    page.locator(".sv-choice", has_text="Vuoi sapere di più?").focus()
    page.keyboard.press("Enter")
    wait_bot_contains(page, "3 anni")
    assert page.evaluate("document.activeElement.classList.contains('sv-input')")


def _assert_no_trace(page, bot):
    assert page.url.startswith(EXIT_URL)
    page.go_back()
    page.wait_for_timeout(500)
    assert not page.url.startswith(bot.web + "/") or page.url == "about:blank"
    assert page.context.cookies() == []
    # storage of the demo site's origin, read from a fresh page of it
    page.goto(bot.web + "/demo.css")
    stored = page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""]


def test_quick_exit_by_button(page, bot):
    send(page, "ciao")
    wait_bot_contains(page, "Sportello Vittime")
    with page.expect_navigation():
        page.click(".sv-exit")
    _assert_no_trace(page, bot)


def test_quick_exit_by_pressing_escape_twice(page, bot):
    send(page, "ciao")
    wait_bot_contains(page, "Sportello Vittime")
    page.focus(".sv-input")
    with page.expect_navigation():
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
    _assert_no_trace(page, bot)


def test_injected_html_is_shown_as_text(page):
    payload = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script><b>grassetto</b>"
    send(page, payload)
    page.wait_for_selector(".sv-bot")
    assert page.locator(".sv-user").last.inner_text().endswith(payload)
    assert page.locator(".sv-log img, .sv-log script, .sv-log b").count() == 0
    assert page.evaluate("window.pwned === undefined")


def test_only_local_requests_and_no_storage(page, bot):
    send(page, "ciao")
    wait_bot_contains(page, "Sportello Vittime")
    hosts = {urlparse(u).hostname for u in page.requests}
    assert hosts <= {"127.0.0.1"}, hosts
    assert page.context.cookies() == []
    assert page.evaluate("[localStorage.length, sessionStorage.length]") == [0, 0]


def test_server_unreachable_shows_112_and_1522(browser, bot):
    """A page whose widget points at a port where nothing listens."""
    context = browser.new_context()
    page = context.new_page()
    html = ('<!doctype html><html lang="it"><body><div id="sportello-vittime"></div>'
            '<script src="/widget/sportello-widget.js" data-server="http://127.0.0.1:9"></script></body></html>')
    page.route(bot.web + "/offline.html", lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    page.goto(bot.web + "/offline.html")
    page.wait_for_selector(".sv-error:not([hidden])", timeout=20000)
    text = page.inner_text(".sv-error")
    assert "112" in text and "1522" in text
    context.close()


def test_accessibility_axe_and_screenshots(browser, bot):
    ARTIFACTS.mkdir(exist_ok=True)
    results = {}
    for name, viewport in {"desktop": {"width": 1280, "height": 800}, "mobile": {"width": 360, "height": 740}}.items():
        context = browser.new_context(viewport=viewport, bypass_csp=True)  # to inject axe-core
        page = context.new_page()
        page.goto(bot.web + "/")
        page.wait_for_selector(".sv-widget")
        send(page, "ciao")
        wait_bot_contains(page, "Sportello Vittime")
        page.locator(".sv-choice").first.focus()
        page.add_script_tag(path=str(AXE))
        report = page.evaluate("""async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}));
        }""")
        results[name] = report
        page.locator(".sv-widget").screenshot(path=str(ARTIFACTS / f"widget-{name}.png"))
        page.screenshot(path=str(ARTIFACTS / f"page-{name}.png"), full_page=True)
        if name == "mobile":  # 360 px wide: nothing wider than the screen
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
        context.close()
    (ARTIFACTS / "axe-report.json").write_text(json.dumps(results, indent=2))
    serious = [v for report in results.values() for v in report if v["impact"] in ("serious", "critical")]
    assert not serious, serious


def test_zoom_200_percent_keeps_the_widget_usable(browser, bot):
    # 200 % zoom of a 1280 px window is a 640 px wide layout with device scale 2
    context = browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    page = context.new_page()
    page.goto(bot.web + "/")
    page.wait_for_selector(".sv-widget")
    assert page.evaluate("document.documentElement.scrollWidth") <= 640
    for selector in (".sv-exit", ".sv-input", ".sv-send"):
        page.locator(selector).scroll_into_view_if_needed()
        assert page.locator(selector).is_visible()
    send(page, "ciao")
    wait_bot_contains(page, "Sportello Vittime")
    context.close()


def test_operator_reply_is_pushed_to_the_open_widget(browser, bot):
    """A message sent later through Rasa (as the console does) appears in the open page."""
    from assistant.handoff.service import RasaApi
    context = browser.new_context()
    page = context.new_page()
    page.goto(bot.web + "/demo-sessione.html")  # the demo of the sessionStorage opt-in
    send(page, "ciao")
    wait_bot_contains(page, "Sportello Vittime")
    session_id = page.evaluate("sessionStorage.getItem('sportello-vittime-session')")
    RasaApi(bot.base, bot.token).send(session_id, "socketio", "Sono Giulia del servizio, ti leggo.")
    wait_bot_contains(page, "Sono Giulia del servizio, ti leggo.")
    context.close()
