"""A conversation belongs to its person (issue 14): each attack found in the review, tried against
the real servers over HTTP, must fail.

Ids are built by the server (tg:<chat>, wa:<From>, rest:<sender>); a REST client can only reach
rest: conversations and cannot choose its channel; the action server and the HTTP API refuse
unauthenticated calls; webhooks are answered once; abuse limits answer kindly with 112/1522."""

import json
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from tests.conftest import ACTIONS_SECRET, TWILIO_NUMBER, TWILIO_TOKEN, serve
from tests.conversation.test_messaging import sent_to, tg_post, tg_update, wa_sent, wait_for


def user_texts(tracker):
    return [e.get("text") for e in tracker["events"] if e["event"] == "user"]


def wa_call(bot, sender, body, sid):
    url = bot.env["TWILIO_WEBHOOK_URL"]
    params = {
        "From": sender,
        "To": TWILIO_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "MessageSid": sid,
        "AccountSid": "AC" + "1" * 32,
    }
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, params),
    }
    req = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(), headers=headers)
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.status


def request(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers


# -- 1. ids are per channel: REST cannot reach another channel's conversation -----------------------
def test_rest_cannot_answer_or_read_a_whatsapp_conversation(bot, fake_twilio):
    her = "whatsapp:+393330000101"
    wa_call(bot, her, "Il mio compagno mi picchia, abito a Casale Monferrato", "SM" + uuid.uuid4().hex)
    wait_for(lambda: any("sei in pericolo" in t for t in wa_sent(fake_twilio, her)))
    sent_before = len(wa_sent(fake_twilio, her))
    for forged in (her, f"wa:{her}", "wa:" + her.split(":", 1)[1]):
        reply = bot.texts(forged, "no")
        assert "Casale Monferrato" not in reply and "me.dea" not in reply  # her comune is not revealed
        assert "Casale Monferrato" not in bot.texts(forged, "dimmi di più")
        assert user_texts(bot.tracker(f"rest:{forged}")) == ["no", "dimmi di più"]  # stored under rest:
    stored = bot.tracker(f"wa:{her}")
    assert user_texts(stored) == ["Il mio compagno mi picchia, abito a Casale Monferrato"]
    assert stored["latest_input_channel"] == "twilio"
    time.sleep(1)
    assert len(wa_sent(fake_twilio, her)) == sent_before  # nothing reached her phone


def test_rest_cannot_reach_a_telegram_conversation(bot, fake_telegram):
    chat = 7201
    tg_post(bot, tg_update(chat, "cos'è l'ammonimento?"))
    answer = wait_for(
        lambda: [c["body"]["text"] for c in sent_to(fake_telegram, chat) if "Riferimenti:" in c["body"]["text"]]
    )
    assert bot.tracker(f"tg:{chat}")["slots"]["topic"] == "ammonimento"
    for forged in (str(chat), f"tg:{chat}"):
        reply = bot.texts(forged, "dimmi di più")
        assert answer[0][:60] not in reply  # her last topic is not repeated to the attacker
        assert bot.tracker(f"rest:{forged}")["slots"]["topic"] is None
    assert user_texts(bot.tracker(f"tg:{chat}")) == ["cos'è l'ammonimento?"]


def test_client_chosen_input_channel_is_ignored_and_operator_reply_cannot_leave_rest(bot, fake_twilio):
    sender = "forged-" + uuid.uuid4().hex[:8]
    for text in ("voglio parlare con qualcuno", "sì", '/inform_contact{"handoff_contact": "qui in chat"}'):
        status, raw = bot.post("/webhooks/rest/webhook", {"sender": sender, "message": text, "input_channel": "twilio"})
        assert status == 200, raw
    tracker = bot.tracker(sender)
    assert tracker["latest_input_channel"] == "rest"
    assert {e.get("input_channel") for e in tracker["events"] if e["event"] == "user"} == {"rest"}
    engine = sa.create_engine(bot.db_url)
    with engine.connect() as conn:
        channels = (
            conn.execute(sa.text("SELECT channel FROM handoffs WHERE conversation_id = :c"), {"c": f"rest:{sender}"})
            .scalars()
            .all()
        )
    engine.dispose()
    assert channels == ["rest"]
    # even asked explicitly, the WhatsApp output refuses a conversation that is not wa:
    calls_before = len(fake_twilio.calls)
    cid = urllib.parse.quote(f"rest:{sender}", safe="")
    request(
        f"{bot.base}/conversations/{cid}/tracker/events?token={bot.token}",
        json.dumps([{"event": "slot", "name": "operator_message", "value": "ciao dall'operatore"}]).encode(),
        {"Content-Type": "application/json"},
    )
    status, _, _ = request(
        f"{bot.base}/conversations/{cid}/execute?token={bot.token}&output_channel=twilio",
        json.dumps({"name": "action_operator_message"}).encode(),
        {"Content-Type": "application/json"},
    )
    time.sleep(1)
    assert len(fake_twilio.calls) == calls_before, status


# -- 2/3. the HTTP API and the REST channel need their tokens ----------------------------------------
def test_http_api_and_rest_refuse_calls_without_token(bot):
    assert request(f"{bot.base}/conversations/x/tracker")[0] == 401
    assert request(f"{bot.base}/conversations/x/tracker?token=wrong")[0] == 401
    body = json.dumps({"sender": "x", "message": "ciao"}).encode()
    for auth in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": bot.env["SV_REST_TOKEN"]}):
        status, _, _ = request(bot.base + "/webhooks/rest/webhook", body, {"Content-Type": "application/json", **auth})
        assert status == 401
    assert bot.post("/webhooks/rest/webhook", {"sender": "x", "message": "ciao"})[0] == 200


def test_rasa_refuses_to_start_the_api_without_token(tmp_path):
    env = serve.child_env({"SV_ACTIONS_SECRET": "x", "SV_TRACKER_URL": f"sqlite:///{tmp_path}/t.db"})
    cmd = serve.commands(serve.settings.load(env), "unused")["rasa"]
    cmd = cmd[: cmd.index("--auth-token")] + ["--port", str(serve.free_port())]
    proc = subprocess.run(cmd, cwd=serve.ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "refusing to start" in proc.stdout + proc.stderr
    with pytest.raises(SystemExit):
        serve.commands(serve.settings.load(env), "")


# -- 4. the action server: own address only, shared secret on every call --------------------------
def forged_handoff(conversation):
    return {
        "next_action": "action_handoff_create",
        "sender_id": conversation,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": conversation,
            "slots": {"handoff_consent": True},
            "latest_message": {},
            "events": [],
            "paused": False,
            "latest_input_channel": "twilio",
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


def test_forged_action_server_call_is_refused(bot):
    url = f"http://127.0.0.1:{bot.env['SV_ACTIONS_PORT']}/webhook"
    conversation = "wa:whatsapp:+393330009999"
    body = json.dumps(forged_handoff(conversation)).encode()
    for headers in ({}, {"X-Sportello-Actions-Secret": "wrong"}):
        status, raw, _ = request(url, body, {"Content-Type": "application/json", **headers})
        assert status == 401, raw
    assert request(f"http://127.0.0.1:{bot.env['SV_ACTIONS_PORT']}/actions")[0] == 401
    # with the secret the same server answers (the check is what refused the calls above)
    status, raw, _ = request(
        url,
        json.dumps({**forged_handoff(conversation), "next_action": "action_nope"}).encode(),
        {"Content-Type": "application/json", "X-Sportello-Actions-Secret": ACTIONS_SECRET},
    )
    assert status == 404, raw
    engine = sa.create_engine(bot.db_url)
    with engine.connect() as conn:
        count = conn.execute(
            sa.text("SELECT COUNT(*) FROM handoffs WHERE conversation_id = :c"), {"c": conversation}
        ).scalar()
    engine.dispose()
    assert count == 0


@pytest.mark.parametrize("port_name", ["SV_ACTIONS_PORT", "SV_RASA_PORT"])
def test_servers_listen_on_sv_host_only(bot, port_name):
    port = int(bot.env[port_name])
    socket.create_connection(("127.0.0.1", port), timeout=5).close()  # reachable on SV_HOST
    with pytest.raises(OSError):  # another address of this machine: not listening there
        socket.create_connection(("127.0.0.2", port), timeout=5).close()


# -- 5. abuse limits ---------------------------------------------------------------------------------
def test_messages_per_conversation_are_limited_kindly(bot):
    sender = "flood-" + uuid.uuid4().hex[:8]

    def one(_):
        return bot.post("/webhooks/rest/webhook", {"sender": sender, "message": "ciao"}, timeout=120)

    with ThreadPoolExecutor(45) as pool:
        results = list(pool.map(one, range(45)))
    limited = [json.loads(raw) for status, raw in results if status == 429]
    assert len([s for s, _ in results if s == 200]) >= 25 and len(limited) >= 10
    assert "112" in limited[0][0]["text"] and "1522" in limited[0][0]["text"]
    assert bot.post("/webhooks/rest/webhook", {"sender": sender + "-x", "message": "ciao"})[0] == 200


def test_requests_per_address_are_limited_behind_the_proxy(bot):
    def one(address):
        return bot.post("/webhooks/rest/webhook", {}, headers={"X-Real-IP": address}, timeout=60)[0]

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(one, ["203.0.113.9"] * 75))
    assert statuses.count(400) >= 55 and statuses.count(429) >= 10  # 60 a minute, then refused
    assert one("203.0.113.10") == 400  # another address is not affected


def test_rest_metadata_is_capped(bot):
    status, raw = bot.post(
        "/webhooks/rest/webhook",
        {"sender": "meta-" + uuid.uuid4().hex[:6], "message": "ciao", "metadata": {"x": "a" * 2000}},
    )
    assert status == 400 and "metadata" in raw.decode()
    status, _ = bot.post(
        "/webhooks/rest/webhook", {"sender": "meta-" + uuid.uuid4().hex[:6], "message": "ciao", "metadata": {"x": "a"}}
    )
    assert status == 200


def test_cors_allows_only_the_assistant_origin(bot):
    for origin, allowed in ((bot.web, True), ("https://evil.example", False)):
        _, _, headers = request(bot.base + "/webhooks/rest/", headers={"Origin": origin})
        assert (headers.get("Access-Control-Allow-Origin") == origin) is allowed, dict(headers)
        assert headers.get("Access-Control-Allow-Origin") != "*"


# -- 7. webhooks: replays answered once, private chats only, public URL required -------------------
def test_replayed_telegram_update_is_answered_once(bot, fake_telegram):
    chat = 7202
    update = tg_update(chat, "cos'è l'ammonimento?")
    assert tg_post(bot, update) == 200
    wait_for(lambda: sent_to(fake_telegram, chat))
    count = len(sent_to(fake_telegram, chat))
    for _ in range(3):
        assert tg_post(bot, update) == 200  # 200: Telegram must not keep retrying
    time.sleep(2)
    assert len(sent_to(fake_telegram, chat)) == count
    assert user_texts(bot.tracker(f"tg:{chat}")) == ["cos'è l'ammonimento?"]


def test_replayed_twilio_message_is_answered_once(bot, fake_twilio):
    her = "whatsapp:+393330000102"
    sid = "SM" + uuid.uuid4().hex
    assert wa_call(bot, her, "cos'è l'ammonimento?", sid) == 200
    wait_for(lambda: wa_sent(fake_twilio, her))
    count = len(wa_sent(fake_twilio, her))
    for _ in range(3):
        assert wa_call(bot, her, "cos'è l'ammonimento?", sid) == 200
    time.sleep(2)
    assert len(wa_sent(fake_twilio, her)) == count
    assert user_texts(bot.tracker(f"wa:{her}")) == ["cos'è l'ammonimento?"]


def test_telegram_group_chats_are_ignored(bot, fake_telegram):
    chat = -7203
    for kind in ("group", "supergroup", "channel", None):
        update = tg_update(chat, "ciao")
        update["message"]["chat"] = {"id": chat, **({"type": kind} if kind else {})}
        assert tg_post(bot, update) == 200
    time.sleep(2)
    assert not sent_to(fake_telegram, chat)
    assert not user_texts(bot.tracker(f"tg:{chat}"))


def test_twilio_channel_does_not_start_without_its_public_url():
    from rasa_addons.channels.twilio import SafeTwilioInput

    credentials = {"account_sid": "AC" + "2" * 32, "auth_token": "t", "twilio_number": "whatsapp:+390000000001"}
    with pytest.raises(SystemExit, match="TWILIO_WEBHOOK_URL"):
        SafeTwilioInput.from_credentials({**credentials, "webhook_url": ""})
    assert SafeTwilioInput.from_credentials({**credentials, "webhook_url": "https://x/webhooks/twilio/webhook"})
    assert not SafeTwilioInput.from_credentials({}).enabled  # not configured: disabled, starts
