"""Human handoff end to end and the operator console, against the real servers."""

import re
import time
import uuid

import pyotp
import pytest
import requests

from assistant.console.app import create_app, create_operator
from assistant.handoff import models as hm

PASSWORD = "una-password-lunga-123"
SECRETS, LAST_STEP = {}, {}


@pytest.fixture(scope="module")
def operators(bot):
    create_operator("operatrice1", PASSWORD, hm.OPERATOR, url=bot.db_url)  # enrols TOTP at first login
    for name, role in (("operatrice2", hm.OPERATOR), ("supervisore1", hm.SUPERVISOR)):
        SECRETS[name] = pyotp.random_base32()
        create_operator(name, PASSWORD, role, url=bot.db_url, totp_secret=SECRETS[name])
    return {"operator": "operatrice1", "other": "operatrice2", "supervisor": "supervisore1"}


def next_code(username):
    """A code for a time step not used yet (a code is accepted once; the console allows one step ahead)."""
    step = max(int(time.time() // 30), LAST_STEP.get(username, 0) + 1)
    while step > int(time.time() // 30) + 1:
        time.sleep(1)
    LAST_STEP[username] = step
    return pyotp.TOTP(SECRETS[username]).at(step * 30)


def csrf_in(text):
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)


def login(bot, username, password=PASSWORD, second_factor=True):
    s = requests.Session()
    page = s.get(bot.console + "/login", timeout=10)
    resp = s.post(
        bot.console + "/login",
        data={"csrf": csrf_in(page.text), "username": username, "password": password},
        allow_redirects=False,
        timeout=30,
    )
    if resp.status_code != 303 or not second_factor:
        return s, resp
    page = s.get(bot.console + "/login/codice", timeout=10).text
    shown = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)
    if shown:  # first login: the secret is shown (and as a QR code) to enrol an app
        assert "<svg" in page
        SECRETS[username] = shown.group(1).replace(" ", "")
    resp = s.post(
        bot.console + "/login/codice",
        data={"csrf": csrf_in(page), "codice": next_code(username)},
        allow_redirects=False,
        timeout=30,
    )
    return s, resp


def csrf_of(session, bot, path="/coda"):
    return csrf_in(session.get(bot.console + path, timeout=10).text)


def start_handoff(bot, sender, first="voglio parlare con qualcuno"):
    explain = bot.texts(sender, first)
    assert "Non è un servizio di emergenza" in explain and "1522" in explain
    assert "riassunto" in explain  # consent question
    assert "Come e quando è sicuro contattarti" in bot.texts(sender, "sì")
    done = bot.texts(sender, '/inform_contact{"handoff_contact": "qui in chat"}')
    number = int(re.search(r"richiesta n\. (\d+)", done).group(1))
    return number


def taken_by(bot, username, first_text):
    """A new request (the person wrote `first_text`), taken by `username`: (their session, its number)."""
    sender = "req-" + uuid.uuid4().hex[:8]
    bot.texts(sender, first_text)
    number = start_handoff(bot, sender)
    s, _ = login(bot, username)
    assert s.post(f"{bot.console}/richiesta/{number}/assegna", data={"csrf": csrf_of(s, bot)}, timeout=10).ok
    return s, number


def audit_rows(bot, supervisor_session):
    return supervisor_session.get(bot.console + "/registro", timeout=10).text


def test_every_console_route_denies_anonymous_access(bot):
    app = create_app(url=bot.db_url, name="route_table_" + uuid.uuid4().hex[:6])
    checked = 0
    for route in app.router.routes:
        path = "/" + route.path.replace("<handoff_id:int>", "1").replace("<operator_id:int>", "1")
        if path.startswith("/login") or path.startswith("/static"):
            continue
        for method in route.methods:
            resp = requests.request(method, bot.console + path, allow_redirects=False, timeout=10)
            assert resp.status_code in (302, 401), (method, path, resp.status_code)
            if resp.status_code == 302:
                assert resp.headers["Location"].endswith("/login")
            checked += 1
    assert checked >= 15


def test_csrf_is_required(bot, operators):
    s, resp = login(bot, operators["operator"])
    assert resp.status_code == 303
    assert s.post(bot.console + "/richiesta/1/nota", data={"testo": "x"}, timeout=10).status_code == 403
    assert s.post(bot.console + "/logout", timeout=10).status_code == 403
    # the login form itself needs its token
    anon = requests.post(bot.console + "/login", data={"username": "operatrice1", "password": PASSWORD}, timeout=10)
    assert anon.status_code == 403


def test_login_slows_down(bot, operators):
    create_operator("bersaglio", PASSWORD, url=bot.db_url)
    for _ in range(3):
        _, resp = login(bot, "bersaglio", "sbagliata-sbagliata")
        assert resp.status_code == 401
    _, resp = login(bot, "bersaglio", PASSWORD)  # even the right password waits now, from this address
    assert resp.status_code == 429 and "Riprova tra" in resp.text


def test_login_requires_the_second_factor(bot, operators):
    s, resp = login(bot, operators["supervisor"], second_factor=False)
    assert resp.status_code == 303 and resp.headers["Location"] == "/login/codice"
    assert s.get(bot.console + "/coda", allow_redirects=False, timeout=10).status_code == 302  # password alone
    page = s.get(bot.console + "/login/codice", timeout=10).text
    assert "totp-secret" not in page  # enrolled already: the secret is never shown again
    wrong = s.post(
        bot.console + "/login/codice",
        data={"csrf": csrf_in(page), "codice": "000000"},
        allow_redirects=False,
        timeout=10,
    )
    assert wrong.status_code == 401
    code = next_code(operators["supervisor"])
    ok = s.post(
        bot.console + "/login/codice", data={"csrf": csrf_in(page), "codice": code}, allow_redirects=False, timeout=10
    )
    assert ok.status_code == 303 and s.get(bot.console + "/coda", timeout=10).ok
    # the same code cannot be used again
    again, _ = login(bot, operators["supervisor"], second_factor=False)
    page = again.get(bot.console + "/login/codice", timeout=10).text
    assert (
        again.post(
            bot.console + "/login/codice",
            data={"csrf": csrf_in(page), "codice": code},
            allow_redirects=False,
            timeout=10,
        ).status_code
        == 401
    )


def test_handoff_end_to_end_over_rest(bot, operators):
    sender = "handoff-" + uuid.uuid4().hex[:8]
    bot.texts(sender, "il mio ex mi perseguita, abito a Bra, il mio numero è 333 1234567")
    bot.texts(sender, "no")
    number = start_handoff(bot, sender)
    assert bot.say(sender, "c'è qualcuno?") == []  # the bot is paused
    s, resp = login(bot, operators["operator"])  # first login: enrols the second factor
    assert resp.status_code == 303
    queue = s.get(bot.console + "/coda", timeout=10).text
    assert f"Richiesta {number}" in queue
    page = s.get(f"{bot.console}/richiesta/{number}", timeout=30).text
    assert "333 1234567" not in page and "c'è qualcuno?" not in page  # unassigned: take it to read it
    csrf = csrf_of(s, bot)
    assert s.post(f"{bot.console}/richiesta/{number}/assegna", data={"csrf": csrf}, timeout=10).ok
    page = s.get(f"{bot.console}/richiesta/{number}", timeout=30).text
    assert "c&#39;è qualcuno?" in page or "c'è qualcuno?" in page
    assert "[telefono]" in page and "333 1234567" not in page  # redacted by default
    assert "Cosa è successo: stalking" in page and "Comune: Bra" in page
    assert s.post(
        f"{bot.console}/richiesta/{number}/nota", data={"csrf": csrf, "testo": "Richiamare domani"}, timeout=10
    ).ok
    page = s.get(f"{bot.console}/richiesta/{number}", timeout=30).text
    assert "Richiamare domani" in page and "in carico" in page
    # show personal data: needs a real reason, and the access is written to the audit log
    short = s.post(f"{bot.console}/richiesta/{number}/mostra", data={"csrf": csrf, "motivo": "serve"}, timeout=30).text
    assert "333 1234567" not in short
    revealed = s.post(
        f"{bot.console}/richiesta/{number}/mostra",
        data={"csrf": csrf, "motivo": "richiamata concordata con la persona"},
        timeout=30,
    ).text
    assert "333 1234567" in revealed
    assert s.get(bot.console + "/registro", timeout=10).status_code == 403  # operators cannot read the log
    # resume: the bot answers again
    assert s.post(f"{bot.console}/richiesta/{number}/riprendi", data={"csrf": csrf}, timeout=30).ok
    assert "Sportello Vittime" in bot.texts(sender, "ciao")
    assert s.post(f"{bot.console}/richiesta/{number}/chiudi", data={"csrf": csrf}, timeout=10).ok
    assert f"Richiesta {number}" in s.get(bot.console + "/coda?stato=closed", timeout=10).text
    sup, _ = login(bot, operators["supervisor"])
    log = audit_rows(bot, sup)
    for action in ("assegna", "vedi", "nota", "mostra_dati", "riprendi_bot", "chiudi"):
        assert f"<td>{action}</td>" in log, action
    assert "richiamata concordata" in log and "operatrice1" in log
    assert sender not in log  # conversations are named by a keyed hash only
    assert "Richiamare domani" not in log  # a note's text is not copied into the log


def test_operator_b_cannot_read_or_act_on_as_request(bot, operators):
    a, number = taken_by(bot, operators["operator"], "mi chiamo Giulia e il mio ex mi minaccia")
    b, _ = login(bot, operators["other"])
    csrf = csrf_of(b, bot)
    denied = b.get(f"{bot.console}/richiesta/{number}", timeout=10)
    assert denied.status_code == 403 and "Giulia" not in denied.text and "minaccia" not in denied.text
    for action, data in (
        ("mostra", {"motivo": "voglio solo controllare una cosa"}),
        ("nota", {"testo": "x"}),
        ("rispondi", {"testo": "ciao"}),
        ("riprendi", {}),
        ("chiudi", {}),
        ("assegna", {}),
        ("subentra", {"motivo": "voglio solo controllare una cosa"}),
    ):
        resp = b.post(f"{bot.console}/richiesta/{number}/{action}", data={"csrf": csrf, **data}, timeout=10)
        assert resp.status_code == 403, action
    queue = b.get(bot.console + "/coda?stato=all", timeout=10).text
    assert f"Richiesta {number}" in queue  # B sees that it exists, not its contact
    # a supervisor may read it, and takes it over only with a reason
    sup, _ = login(bot, operators["supervisor"])
    scsrf = csrf_of(sup, bot)
    assert "minaccia" in sup.get(f"{bot.console}/richiesta/{number}", timeout=30).text
    no_reason = sup.post(f"{bot.console}/richiesta/{number}/subentra", data={"csrf": scsrf, "motivo": "io"}, timeout=30)
    assert "Per subentrare scrivi il motivo" in no_reason.text
    assert sup.post(
        f"{bot.console}/richiesta/{number}/subentra",
        data={"csrf": scsrf, "motivo": "operatrice1 in ferie da domani"},
        timeout=30,
    ).ok
    assert a.get(f"{bot.console}/richiesta/{number}", timeout=10).status_code == 403  # no longer A's
    log = audit_rows(bot, sup)
    assert "subentra" in log and "operatrice1 in ferie da domani" in log
    viewers = re.findall(rf"<td>([^<]+)</td><td>vedi</td><td>richiesta {number}</td>", log)
    # every view is logged (A's after taking it, the supervisor's twice); B was refused and is not there
    assert sorted(viewers) == ["operatrice1", "supervisore1", "supervisore1"]


def test_a_disabled_operator_is_out_at_the_next_request(bot, operators):
    create_operator("temporanea", PASSWORD, url=bot.db_url, totp_secret=pyotp.random_base32())
    SECRETS["temporanea"] = None
    from assistant import db

    with db.session_scope(bot.db_url) as session:
        from sqlalchemy import select

        op = session.execute(select(hm.Operator).where(hm.Operator.username == "temporanea")).scalar_one()
        SECRETS["temporanea"], op_id = op.totp_secret, op.id
    t, _ = login(bot, "temporanea")
    assert t.get(bot.console + "/coda", allow_redirects=False, timeout=10).status_code == 200
    sup, _ = login(bot, operators["supervisor"])
    assert "temporanea" in sup.get(bot.console + "/operatori", timeout=10).text
    assert sup.post(f"{bot.console}/operatori/{op_id}/disattiva", data={"csrf": csrf_of(sup, bot)}, timeout=10).ok
    resp = t.get(bot.console + "/coda", allow_redirects=False, timeout=10)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    assert login(bot, "temporanea")[1].status_code == 401  # and cannot log in again
    assert "disattiva_operatore" in audit_rows(bot, sup)


def test_transcript_and_queue_show_the_same_local_time(bot, operators):
    sender = "time-" + uuid.uuid4().hex[:8]
    number = start_handoff(bot, sender)
    sup, _ = login(bot, operators["supervisor"])
    queue = sup.get(bot.console + "/coda", timeout=10).text
    row = re.search(rf"Richiesta {number}</a></td><td>([^<]+)</td>", queue).group(1)
    page = sup.get(f"{bot.console}/richiesta/{number}", timeout=30).text
    received = re.search(r"<dt>Ricevuta</dt><dd>([^<]+)</dd>", page).group(1)
    times = re.findall(r"<time>([^<]+)</time>", page)
    assert row == received
    from assistant.handoff.service import local_time

    events = bot.tracker(sender)["events"]
    last_user = [e for e in events if e["event"] == "user"][-1]
    assert local_time(last_user["timestamp"]) in times  # the same function: Europe/Rome, not UTC
    import datetime as dt

    parsed = [dt.datetime.strptime(t, "%d/%m/%Y %H:%M") for t in (row, times[-1])]
    assert abs((parsed[0] - parsed[1]).total_seconds()) <= 60  # the same turn, not an hour apart


def test_handoff_can_be_cancelled(bot):
    sender = "cancel-" + uuid.uuid4().hex[:8]
    bot.texts(sender, "voglio parlare con una persona")
    assert "non passo la conversazione" in bot.texts(sender, "basta")
    assert "Sportello Vittime" in bot.texts(sender, "ciao")  # not paused


def test_xss_in_a_transcript_is_inert(bot, operators):
    s, number = taken_by(bot, operators["operator"], "<script>alert('x')</script><img src=x onerror=alert(1)>")
    page = s.get(f"{bot.console}/richiesta/{number}", timeout=30).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page
