"""The operator console in a real browser: login with the second factor enrolled from the page, queue,
taking a request, transcript (keyboard only), screenshot."""

import re
import uuid

import pyotp
import pytest

from assistant.console.app import create_operator

playwright_api = pytest.importorskip("playwright.sync_api")
from tests.browser.test_widget import ARGS, ARTIFACTS, CHROMIUM  # noqa: E402


def test_login_queue_transcript(bot):
    sender = "browser-" + uuid.uuid4().hex[:8]
    bot.texts(sender, "il mio ex mi perseguita, abito a Bra")
    bot.texts(sender, "no")
    bot.texts(sender, "voglio parlare con qualcuno")
    bot.texts(sender, "sì")
    done = bot.texts(sender, '/inform_contact{"handoff_contact": "qui in chat"}')
    number = re.search(r"richiesta n\. (\d+)", done).group(1)
    user = "op-" + uuid.uuid4().hex[:6]
    create_operator(user, "password-di-prova-123", url=bot.db_url)  # enrols the second factor at first login
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(bot.console + "/coda")
        assert page.url.endswith("/login")
        page.keyboard.press("Tab")  # skip link, then the fields: usable by keyboard
        page.fill("#username", user)
        page.fill("#password", "password-di-prova-123")
        page.keyboard.press("Enter")
        page.wait_for_url(bot.console + "/login/codice")
        assert page.locator("figure.qr svg").is_visible()  # the QR code to scan, and the key as text
        secret = page.inner_text("#totp-secret").replace(" ", "")
        page.screenshot(path=str(ARTIFACTS / "console-enrol.png"), full_page=True)
        page.fill("#codice", pyotp.TOTP(secret).now())
        page.keyboard.press("Enter")
        page.wait_for_url(bot.console + "/coda")
        link = page.get_by_role("link", name=f"Richiesta {number}", exact=True)
        link.focus()
        page.keyboard.press("Enter")
        take = page.get_by_role("button", name="Prendi in carico")
        take.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector(".transcript li")
        text = page.inner_text("main")
        assert "il mio ex mi perseguita" in text and "Cosa è successo: stalking" in text
        page.screenshot(path=str(ARTIFACTS / "console-transcript.png"), full_page=True)
        browser.close()
