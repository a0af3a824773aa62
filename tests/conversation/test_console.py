"""Human handoff end to end and the operator console, against the real servers."""
import re
import uuid

import pytest
import requests

from assistant.console.app import create_app, create_operator
from assistant.handoff import models as hm

PASSWORD = "una-password-lunga-123"


@pytest.fixture(scope="module")
def operators(bot):
    create_operator("operatrice1", PASSWORD, hm.OPERATOR, url=bot.db_url)
    create_operator("supervisore1", PASSWORD, hm.SUPERVISOR, url=bot.db_url)
    return {"operator": "operatrice1", "supervisor": "supervisore1"}


def login(bot, username, password=PASSWORD):
    s = requests.Session()
    page = s.get(bot.console + "/login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    resp = s.post(bot.console + "/login", data={"csrf": csrf, "username": username, "password": password},
                  allow_redirects=False, timeout=30)
    return s, resp


def csrf_of(session, bot, path="/coda"):
    return re.search(r'name="csrf" value="([^"]+)"', session.get(bot.console + path, timeout=10).text).group(1)


def start_handoff(bot, sender, first="voglio parlare con qualcuno"):
    explain = bot.texts(sender, first)
    assert "Non è un servizio di emergenza" in explain and "1522" in explain
    assert "riassunto" in explain  # consent question
    assert "Come e quando è sicuro contattarti" in bot.texts(sender, "sì")
    done = bot.texts(sender, '/inform_contact{"handoff_contact": "qui in chat"}')
    number = int(re.search(r"richiesta n\. (\d+)", done).group(1))
    return number


def test_every_console_route_denies_anonymous_access(bot):
    app = create_app(url=bot.db_url, name="route_table_" + uuid.uuid4().hex[:6])
    checked = 0
    for route in app.router.routes:
        path = "/" + route.path.replace("<handoff_id:int>", "1")
        if path.startswith("/login") or path.startswith("/static"):
            continue
        for method in route.methods:
            resp = requests.request(method, bot.console + path, allow_redirects=False, timeout=10)
            assert resp.status_code in (302, 401), (method, path, resp.status_code)
            if resp.status_code == 302:
                assert resp.headers["Location"].endswith("/login")
            checked += 1
    assert checked >= 11


def test_csrf_is_required(bot, operators):
    s, resp = login(bot, operators["operator"])
    assert resp.status_code == 303
    assert s.post(bot.console + "/richiesta/1/nota", data={"testo": "x"}, timeout=10).status_code == 403
    assert s.post(bot.console + "/logout", timeout=10).status_code == 403
    # the login form itself needs its token
    anon = requests.post(bot.console + "/login", data={"username": "operatrice1", "password": PASSWORD}, timeout=10)
    assert anon.status_code == 403


def test_login_throttling(bot, operators):
    create_operator("bersaglio", PASSWORD, url=bot.db_url)
    for _ in range(5):
        _, resp = login(bot, "bersaglio", "sbagliata-sbagliata")
        assert resp.status_code == 401
    _, resp = login(bot, "bersaglio", PASSWORD)  # even the right password waits now
    assert resp.status_code == 429


def test_handoff_end_to_end_over_rest(bot, operators):
    sender = "handoff-" + uuid.uuid4().hex[:8]
    bot.texts(sender, "il mio ex mi perseguita, abito a Bra, il mio numero è 333 1234567")
    bot.texts(sender, "no")
    number = start_handoff(bot, sender)
    assert bot.say(sender, "c'è qualcuno?") == []  # the bot is paused
    s, _ = login(bot, operators["operator"])
    queue = s.get(bot.console + "/coda", timeout=10).text
    assert f"Richiesta {number}" in queue
    page = s.get(f"{bot.console}/richiesta/{number}", timeout=30).text
    assert "c&#39;è qualcuno?" in page or "c'è qualcuno?" in page
    assert "[telefono]" in page and "333 1234567" not in page  # redacted by default
    assert "Cosa è successo: stalking" in page and "Comune: Bra" in page
    csrf = csrf_of(s, bot)
    assert s.post(f"{bot.console}/richiesta/{number}/assegna", data={"csrf": csrf}, timeout=10).ok
    assert s.post(f"{bot.console}/richiesta/{number}/nota", data={"csrf": csrf, "testo": "Richiamare domani"},
                  timeout=10).ok
    page = s.get(f"{bot.console}/richiesta/{number}", timeout=30).text
    assert "Richiamare domani" in page and "in carico" in page
    # show personal data: needs a reason, and the access is written to the audit log
    revealed = s.post(f"{bot.console}/richiesta/{number}/mostra", data={"csrf": csrf, "motivo": "richiamata concordata"},
                      timeout=30).text
    assert "333 1234567" in revealed
    assert s.get(bot.console + "/registro", timeout=10).status_code == 403  # operators cannot read the log
    sup, _ = login(bot, operators["supervisor"])
    log = sup.get(bot.console + "/registro", timeout=10).text
    assert "mostra_dati" in log and "richiamata concordata" in log and "operatrice1" in log
    # resume: the bot answers again
    assert s.post(f"{bot.console}/richiesta/{number}/riprendi", data={"csrf": csrf}, timeout=30).ok
    assert "Sportello Vittime" in bot.texts(sender, "ciao")
    assert s.post(f"{bot.console}/richiesta/{number}/chiudi", data={"csrf": csrf}, timeout=10).ok
    assert f"Richiesta {number}" in s.get(bot.console + "/coda?stato=closed", timeout=10).text


def test_handoff_can_be_cancelled(bot):
    sender = "cancel-" + uuid.uuid4().hex[:8]
    bot.texts(sender, "voglio parlare con una persona")
    assert "non passo la conversazione" in bot.texts(sender, "basta")
    assert "Sportello Vittime" in bot.texts(sender, "ciao")  # not paused


def test_xss_in_a_transcript_is_inert(bot, operators):
    sender = "xss-" + uuid.uuid4().hex[:8]
    bot.texts(sender, "<script>alert('x')</script><img src=x onerror=alert(1)>")
    number = start_handoff(bot, sender)
    s, _ = login(bot, operators["operator"])
    page = s.get(f"{bot.console}/richiesta/{number}", timeout=30).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page
