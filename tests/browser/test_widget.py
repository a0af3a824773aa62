"""The website widget in a real browser (Debian's Chromium driven by Playwright) against the real
servers: the demo site (one origin) embeds the widget, whose chat runs in a sandboxed iframe served
by the assistant's origin. Conversation, buttons, keyboard only, quick exit (host button, Esc in
the chat, fallback when the host page ignores the iframe), no trace, nothing of the chat in the
host page, links, inert HTML, the exit button at phone size, framing by foreign sites, accessibility."""

import asyncio
import http.server
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("SV_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
EXIT_URL = "https://www.google.it/"
FRAME = "iframe.sv-frame"
SANDBOX = "allow-scripts allow-same-origin allow-forms allow-top-navigation-by-user-activation"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
AXE_RUN = """async () => {
    const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
    return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}));
}"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run scripts/debian_tool.sh /usr/bin/chromium chromium chromium-driver"
        )
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def answer_locally(page, url_prefix, body="<html><body>Meteo</body></html>"):
    """Outside addresses (the exit page, a link) are answered locally: nothing leaves the machine."""
    page.route(url_prefix + "**", lambda route: route.fulfill(status=200, content_type="text/html", body=body))


def open_demo(context, bot, path="/"):
    page = context.new_page()
    answer_locally(page, EXIT_URL)
    page.requests = []
    page.on("request", lambda req: page.requests.append(req.url))
    page.goto(bot.demo + path)
    return page, chat_frame(page)


def chat_frame(page):
    page.wait_for_selector(FRAME)
    frame = page.locator(FRAME).element_handle().content_frame()
    frame.wait_for_selector(".sv-input")
    return frame


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context
    context.close()


@pytest.fixture
def page(context, bot):
    page, page.chat = open_demo(context, bot)
    return page


def wait_bot_contains(frame, text, timeout=30000):
    frame.wait_for_function(
        "t => Array.from(document.querySelectorAll('.sv-bot')).some(n => n.textContent.includes(t))",
        arg=text,
        timeout=timeout,
    )


def send(frame, text):
    frame.fill(".sv-input", text)
    frame.press(".sv-input", "Enter")


def conversation_id(frame):
    """The conversation of a widget opened with data-session-storage: web:<id of the signed token>."""
    token = frame.evaluate("sessionStorage.getItem('sportello-vittime-session')")
    assert token and token.count(".") == 2, token
    return "web:" + token.split(".")[0]


def test_send_a_message_and_get_the_reply(page):
    send(page.chat, "ciao")
    wait_bot_contains(page.chat, "Sportello Vittime")
    assert page.chat.locator(".sv-user").first.inner_text().endswith("ciao")
    assert page.chat.locator(".sv-choice", has_text="Denuncia o querela").count() == 1


def test_click_a_button(page):
    send(page.chat, "ciao")
    page.chat.locator(".sv-choice", has_text="Avvocato gratuito").click()
    wait_bot_contains(page.chat, "patrocinio a spese dello Stato")
    wait_bot_contains(page.chat, "Riferimenti:")
    assert page.chat.locator(".sv-user").last.inner_text().endswith("Avvocato gratuito")


def test_keyboard_only_conversation(page):
    page.keyboard.press("Tab")  # the exit button comes first: always reachable
    assert page.evaluate("document.activeElement.dataset.sportelloVittime") == "exit"
    for _ in range(8):
        if page.chat.evaluate("document.activeElement.id") == "sv-input":
            break
        page.keyboard.press("Tab")
    assert page.chat.evaluate("document.activeElement.id") == "sv-input"
    page.keyboard.type("cos'è l'ammonimento?")
    page.keyboard.press("Enter")
    wait_bot_contains(page.chat, "questore")
    more = page.chat.locator(".sv-choice", has_text="Vuoi sapere di più?")
    more.wait_for()
    more.focus()
    page.keyboard.press("Enter")
    wait_bot_contains(page.chat, "3 anni")
    assert page.chat.evaluate("document.activeElement.id") == "sv-input"


def _assert_no_trace(page, bot, token):
    assert page.url.startswith(EXIT_URL)
    page.go_back()
    page.wait_for_load_state()
    assert not page.url.startswith(bot.demo) or page.url == "about:blank"
    assert page.context.cookies() == []
    # the same tab, back on the site: nothing kept by the site; the widget starts a new conversation
    page.goto(bot.demo + "/demo-sessione.html")
    frame = chat_frame(page)
    assert page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]
    frame.wait_for_function("sessionStorage.length === 1")  # the new conversation's token
    assert frame.evaluate("[localStorage.length, document.cookie]") == [0, ""]
    assert frame.evaluate("sessionStorage.getItem('sportello-vittime-session')") != token
    assert frame.locator(".sv-msg").count() == 0


def test_quick_exit_by_the_host_pages_button(context, bot):
    page, frame = open_demo(context, bot, "/demo-sessione.html")  # with a conversation kept in the tab
    send(frame, "ciao")
    wait_bot_contains(frame, "Sportello Vittime")
    token = frame.evaluate("sessionStorage.getItem('sportello-vittime-session')")
    with page.expect_navigation():
        page.click(".sv-exit")
    _assert_no_trace(page, bot, token)


def test_quick_exit_by_pressing_escape_twice_in_the_chat(context, bot):
    """The iframe asks the host page (postMessage); the embed script replaces the page."""
    page, frame = open_demo(context, bot, "/demo-sessione.html")
    send(frame, "ciao")
    wait_bot_contains(frame, "Sportello Vittime")
    token = frame.evaluate("sessionStorage.getItem('sportello-vittime-session')")
    frame.focus(".sv-input")
    with page.expect_navigation():
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
    _assert_no_trace(page, bot, token)


def test_quick_exit_by_pressing_escape_twice_on_the_host_page(page):
    page.focus(".sv-exit")
    page.keyboard.press("Tab")  # focus on the host page, out of the chat
    page.keyboard.press("Shift+Tab")
    with page.expect_navigation():
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
    assert page.url.startswith(EXIT_URL)


def bare_embedding(page, bot):
    """The demo page that shows the iframe without the embed script: nobody listens to it."""
    page.goto(bot.demo + "/demo-iframe.html")
    frame = page.locator("iframe").element_handle().content_frame()
    frame.wait_for_selector(".sv-input")
    return frame


@pytest.fixture
def bare(context, bot):
    """A conversation in the iframe of a page that shows it without the embed script."""
    page = context.new_page()
    answer_locally(page, EXIT_URL)
    frame = bare_embedding(page, bot)
    send(frame, "ciao")
    wait_bot_contains(frame, "Sportello Vittime")
    return page, frame


def test_quick_exit_works_when_the_host_page_ignores_the_iframe(bare, bot):
    page, frame = bare
    with page.expect_navigation():
        frame.click(".sv-exit")  # a click: the sandbox lets the iframe replace the top page
    assert page.url.startswith(EXIT_URL)
    page.go_back()
    page.wait_for_load_state()
    assert not page.url.startswith(bot.demo)


def test_escape_twice_without_a_listening_host_clears_the_chat_and_offers_the_exit(bare):
    page, frame = bare
    frame.focus(".sv-input")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    frame.wait_for_selector(".sv-closed .sv-exit")
    assert "ciao" not in frame.inner_text("body") and frame.locator(".sv-msg").count() == 0
    with page.expect_navigation():
        frame.click(".sv-closed .sv-exit")
    assert page.url.startswith(EXIT_URL)


def test_the_host_page_holds_no_chat_and_cannot_read_it(page):
    send(page.chat, "ciao")
    wait_bot_contains(page.chat, "Sportello Vittime")
    secret = "Mi chiamo Zefirina Quagliotti"
    answered = page.chat.locator(".sv-bot").count()
    send(page.chat, secret)
    page.chat.wait_for_function("n => document.querySelectorAll('.sv-bot').length > n", arg=answered, timeout=30000)
    host_html = page.evaluate("document.documentElement.outerHTML")
    assert secret not in host_html and "Denuncia o querela" not in host_html
    assert page.locator(".sv-msg, .sv-log, input").count() == 0
    assert page.get_attribute(FRAME, "sandbox") == SANDBOX
    # the iframe is another origin: the host's scripts get nothing out of it
    assert page.evaluate("document.querySelector('iframe.sv-frame').contentDocument") is None
    assert (
        page.evaluate("""() => { try { return frames[0].document.body.innerText; }
                                    catch (e) { return 'refused: ' + e.name; } }""")
        == "refused: SecurityError"
    )
    assert secret in page.chat.inner_text(".sv-log")


class OtherSite(http.server.ThreadingHTTPServer):
    """A site on loopback that is not among the allowed embedders, serving one page."""

    daemon_threads = True

    def __init__(self, html):
        class Page(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Page)
        threading.Thread(target=self.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server_address[1]}/"


def test_a_site_not_allowed_cannot_show_the_widget(context, bot):
    """CSP frame-ancestors: the browser refuses to show the iframe on a site that is not listed."""
    site = OtherSite(
        f'<!doctype html><html lang="it"><body><div id="sportello-vittime"></div>'
        f'<script src="{bot.web}/widget/sportello-widget.js"></script></body></html>'
    )
    try:
        page = context.new_page()
        with page.expect_console_message(lambda msg: "frame-ancestors" in msg.text, timeout=20000):
            page.goto(site.url)
        frame = page.locator(FRAME).element_handle().content_frame()
        assert frame.query_selector(".sv-input") is None
    finally:
        site.shutdown()
        site.server_close()


def test_injected_html_is_shown_as_text(page):
    payload = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script><b>grassetto</b>'
    send(page.chat, payload)
    page.chat.wait_for_selector(".sv-bot")
    assert page.chat.locator(".sv-user").last.inner_text().endswith(payload)
    assert page.chat.locator(".sv-log img, .sv-log script, .sv-log b").count() == 0
    assert page.chat.evaluate("window.pwned === undefined") and page.evaluate("window.pwned === undefined")


def test_only_local_requests_and_no_storage(page, bot):
    send(page.chat, "ciao")
    wait_bot_contains(page.chat, "Sportello Vittime")
    hosts = {urlparse(u).hostname for u in page.requests}
    assert hosts <= {"127.0.0.1"}, hosts
    assert page.context.cookies() == []
    assert page.evaluate("[localStorage.length, sessionStorage.length]") == [0, 0]
    assert page.chat.evaluate("[localStorage.length, sessionStorage.length]") == [0, 0]


def test_server_unreachable_shows_112_and_1522(context, bot):
    """Every connection to the Socket.IO server fails (WebSocket closed, long-polling refused)."""
    page = context.new_page()
    page.route_web_socket(lambda url: "/socket.io/" in url, lambda ws: ws.close())
    page.route(lambda url: "/socket.io/" in url, lambda route: route.abort())
    page.goto(bot.demo + "/")
    frame = chat_frame(page)
    frame.wait_for_selector(".sv-error:not([hidden])", timeout=30000)
    text = frame.inner_text(".sv-error")
    assert "112" in text and "1522" in text
    send(frame, "ciao")  # what is written meanwhile is shown, never lost silently
    assert frame.locator(".sv-user").count() == 1


def test_phone_long_conversation_keeps_the_exit_button_in_view(browser, bot):
    context = browser.new_context(
        viewport={"width": 375, "height": 667}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page, frame = open_demo(context, bot)
    for n in range(6):
        send(frame, f"ciao {n}")
        frame.wait_for_function("n => document.querySelectorAll('.sv-bot').length >= n", arg=n + 1, timeout=30000)
    assert frame.evaluate(
        "document.querySelector('.sv-log').scrollHeight > document.querySelector('.sv-log').clientHeight"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    for where in ("top", "chat", "bottom"):
        if where == "chat":
            page.locator(FRAME).scroll_into_view_if_needed()
            frame.evaluate("document.querySelector('.sv-log').scrollTop = 1e6")
        else:
            page.evaluate(f"window.scrollTo(0, {0 if where == 'top' else 'document.body.scrollHeight'})")
        box = page.locator(".sv-exit").bounding_box()
        assert (
            box
            and box["x"] >= 0
            and box["y"] >= 0
            and box["x"] + box["width"] <= 375
            and box["y"] + box["height"] <= 667
        ), (where, box)
        on_top = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).dataset.sportelloVittime",
            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
        )
        assert on_top == "exit", where  # not covered by the page or the chat
        page.screenshot(path=str(ARTIFACTS / f"phone-long-{where}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    with page.expect_navigation():
        page.locator(".sv-exit").tap()
    assert page.url.startswith(EXIT_URL)
    context.close()


def operator_says(bot, conversation: str, text: str) -> None:
    """An operator's message through Rasa's HTTP API: the console's async client, on its own thread
    (Playwright's sync API keeps an event loop on this one)."""
    from assistant.handoff.rasa_client import RasaApi

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, RasaApi(bot.base, bot.token).send(conversation, "socketio", text)).result()


def test_links_open_in_this_tab_after_a_warning(context, bot):
    page, frame = open_demo(context, bot, "/demo-sessione.html")
    answer_locally(page, "https://www.example.org/", "<html><body>Servizio</body></html>")
    send(frame, "ciao")
    wait_bot_contains(frame, "Sportello Vittime")
    operator_says(bot, conversation_id(frame), "Trovi gli orari qui: https://www.example.org/orari.")
    wait_bot_contains(frame, "Trovi gli orari qui")
    link = frame.locator(".sv-bot a", has_text="https://www.example.org/orari")
    assert link.get_attribute("target") == "_top"
    link.click()
    warning = frame.locator(".sv-leave")
    assert "www.example.org" in warning.inner_text() and page.url.startswith(bot.demo)
    assert context.pages == [page]  # no new tab
    with page.expect_navigation():
        frame.click(".sv-leave-go")
    assert page.url == "https://www.example.org/orari"


def test_accessibility_axe_and_screenshots(browser, bot):
    ARTIFACTS.mkdir(exist_ok=True)
    results = {}
    for name, viewport in {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 667}}.items():
        context = browser.new_context(viewport=viewport, bypass_csp=True)  # to inject axe-core
        page, frame = open_demo(context, bot)
        send(frame, "ciao")
        wait_bot_contains(frame, "Sportello Vittime")
        frame.locator(".sv-choice").first.focus()
        for where, target in (("host", page), ("chat", frame)):
            target.add_script_tag(path=str(AXE))
            results[f"{name}-{where}"] = target.evaluate(AXE_RUN)
        page.locator(FRAME).screenshot(path=str(ARTIFACTS / f"widget-{name}.png"))
        page.screenshot(path=str(ARTIFACTS / f"page-{name}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        context.close()
    (ARTIFACTS / "axe-report.json").write_text(json.dumps(results, indent=2))
    serious = [v for report in results.values() for v in report if v["impact"] in ("serious", "critical")]
    assert not serious, serious


def test_zoom_200_percent_keeps_the_widget_usable(browser, bot):
    # 200 % zoom of a 1280 px window is a 640 px wide layout with device scale 2
    context = browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    page, frame = open_demo(context, bot)
    assert page.evaluate("document.documentElement.scrollWidth") <= 640
    assert page.locator(".sv-exit").is_visible()
    page.locator(FRAME).scroll_into_view_if_needed()
    for selector in (".sv-input", ".sv-send"):
        frame.locator(selector).scroll_into_view_if_needed()
        assert frame.locator(selector).is_visible()
    send(frame, "ciao")
    wait_bot_contains(frame, "Sportello Vittime")
    context.close()


def test_operator_reply_is_pushed_to_the_open_widget(context, bot):
    """A message sent later through Rasa (as the console does) appears in the open page."""
    page, frame = open_demo(context, bot, "/demo-sessione.html")  # the demo of the sessionStorage opt-in
    send(frame, "ciao")
    wait_bot_contains(frame, "Sportello Vittime")
    operator_says(bot, conversation_id(frame), "Sono Giulia del servizio, ti leggo.")
    wait_bot_contains(frame, "Sono Giulia del servizio, ti leggo.")
    # a reload of the tab continues the same conversation (signed token kept in the iframe's tab storage)
    before = conversation_id(frame)
    page.reload()
    frame = chat_frame(page)
    send(frame, "grazie")
    wait_bot_contains(frame, "")
    assert conversation_id(frame) == before


def test_floating_launcher_opens_the_chat(context, bot):
    page = context.new_page()
    page.goto(bot.demo + "/demo-pulsante.html")
    launcher = page.locator(".sv-launcher")
    launcher.wait_for()
    assert page.locator(FRAME).count() == 0  # nothing is loaded before the person opens the chat
    assert page.locator(".sv-exit").is_visible()
    launcher.click()
    frame = chat_frame(page)
    assert launcher.get_attribute("aria-expanded") == "true"
    send(frame, "ciao")
    wait_bot_contains(frame, "Sportello Vittime")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "launcher-open.png"))
    launcher.click()  # closed again: the conversation stays in the hidden iframe
    assert not page.locator(FRAME).is_visible() and launcher.get_attribute("aria-expanded") == "false"


def test_the_web_server_serves_only_the_widget_files_with_their_policies(bot):
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def get(url, method="GET"):
        try:
            with opener.open(urllib.request.Request(url, method=method), timeout=20) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read()

    status, headers, body = get(bot.web + "/widget/frame.html")
    assert status == 200 and b'content="' + bot.base.encode() + b'"' in body
    policy = headers["Content-Security-Policy"]
    ancestors = policy.split("frame-ancestors ")[1].split(";")[0].split()
    assert ancestors == [bot.demo, bot.demo.replace("127.0.0.1", "localhost")]
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff" and "X-Frame-Options" not in headers
    status, headers, _ = get(bot.web + "/")
    assert status == 302 and headers["Location"] == bot.demo + "/"
    for path in ("/index.html", "/demo.css", "/../scripts/lb.py", "/widget/", "/node_modules/axe-core/axe.min.js"):
        assert get(bot.web + path)[0] == 404, path
    assert get(bot.demo + "/widget/frame.html")[0] == 404  # the demo site is not the assistant
    assert get(bot.web + "/widget/frame.html", "POST")[0] == 405
    status, headers, body = get(bot.demo + "/")
    assert status == 200 and f'src="{bot.web}/widget/sportello-widget.js"'.encode() in body
    assert f"frame-src {bot.web}" in headers["Content-Security-Policy"]
