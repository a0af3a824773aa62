"""A supervisor edits a phone with its source in a real browser; the next conversation over REST shows it."""

import time
import uuid

import pyotp
import pytest

from assistant.console.app import create_operator
from assistant.directory import edit
from assistant.directory.nearest import check_seconds
from assistant.handoff import models as hm

playwright_api = pytest.importorskip("playwright.sync_api")
from tests.browser.test_widget import ARGS, ARTIFACTS, CHROMIUM  # noqa: E402

PASSWORD = "password-di-prova-456"
NEW_PHONE = "0142 000222"


def test_supervisor_edits_a_phone_and_the_next_conversation_shows_it(bot):
    user = "sup-browser-" + uuid.uuid4().hex[:6]
    create_operator(user, PASSWORD, hm.SUPERVISOR, url=bot.db_url)
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(bot.console + "/login")
        page.fill("#username", user)
        page.fill("#password", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(bot.console + "/login/codice")  # the second factor, enrolled at first login
        page.fill("#codice", pyotp.TOTP(page.inner_text("#totp-secret").replace(" ", "")).now())
        page.keyboard.press("Enter")
        page.wait_for_url(bot.console + "/coda")
        page.get_by_role("link", name="Elenco servizi").click()
        page.wait_for_url(bot.console + "/elenco")
        page.wait_for_selector("img[src='/elenco/mappa.png']")
        assert "Copertura per provincia" in page.inner_text("main")
        page.screenshot(path=str(ARTIFACTS / "console-directory-list.png"), full_page=True)
        page.select_option("#f-tipo", "centro_antiviolenza")
        page.select_option("#f-prov", "AL")
        page.get_by_role("button", name="Filtra").click()
        page.wait_for_url("**/elenco?tipo=centro_antiviolenza&provincia=AL**")
        page.get_by_role("link", name="CAV034 Centro Antiviolenza me.dea Casale Monferrato").click()
        page.wait_for_selector("#f-telefoni")
        page.fill("#f-telefoni", NEW_PHONE)
        page.get_by_role("button", name="Salva la modifica").click()  # no source yet: the browser asks for it
        assert page.url.endswith("/elenco/voce/CAV034")
        assert edit.get("CAV034", bot.db_url)["telefoni"] != NEW_PHONE
        page.fill("#f-fonte", "telefonata del 25/11/2026 al centro")
        page.fill("#f-data", "2026-11-25")
        page.get_by_role("button", name="Salva la modifica").click()
        page.wait_for_selector("text=Modifica salvata.")
        text = page.inner_text("main")
        assert "telefonata del 25/11/2026 al centro" in text
        page.screenshot(path=str(ARTIFACTS / "console-directory-edit.png"), full_page=True)
        browser.close()
    assert edit.get("CAV034", bot.db_url)["telefoni"] == NEW_PHONE
    time.sleep(check_seconds() + 1)  # the action server reads the directory version at most this often
    sender = "browser-dir-" + uuid.uuid4().hex[:8]
    bot.texts(sender, "Il mio compagno mi picchia, abito a Casale Monferrato")
    result = bot.texts(sender, "no")
    assert "Centro Antiviolenza me.dea Casale Monferrato" in result and NEW_PHONE in result
