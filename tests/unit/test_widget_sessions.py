"""Widget sessions and settings without servers: the signed token, its refusals, the origins read
from the environment, and the iframe page's Content-Security-Policy."""

import time

import pytest

from assistant import settings
from rasa_addons.channels.socketio import PREFIX, TOKEN_MAX_AGE, issue, verify
from scripts.webserver import frame_policy

SECRET = "segreto-di-prova"


def test_an_issued_token_gives_back_its_conversation():
    conversation, token = issue(SECRET)
    assert conversation.startswith(PREFIX) and verify(SECRET, token) == conversation
    session = conversation[len(PREFIX) :]
    assert len(session) == 24 and token.startswith(session + ".")  # 18 random bytes: 144 bits


def test_issued_ids_do_not_repeat():
    assert len({issue(SECRET)[0] for _ in range(2000)}) == 2000


@pytest.mark.parametrize(
    "forge",
    [
        lambda s, i, m: f"{s}.{i}.{m[:-1]}{'A' if m[-1] != 'A' else 'B'}",  # another signature
        lambda s, i, m: f"{s[:-1]}{'A' if s[-1] != 'A' else 'B'}.{i}.{m}",  # another id, same signature
        lambda s, i, m: f"{s}.{int(i) - 1}.{m}",  # another time
        lambda s, i, m: f"{s}.{i}",
        lambda s, i, m: f"{s}.{i}.{m}.x",
        lambda s, i, m: s,
        lambda s, i, m: PREFIX + s,
        lambda s, i, m: f".{i}.{m}",
        lambda s, i, m: f"{s}.-{i}.{m}",
    ],
)
def test_a_changed_token_is_refused(forge):
    _, token = issue(SECRET)
    assert verify(SECRET, forge(*token.split("."))) is None


@pytest.mark.parametrize("value", [None, 42, ["a.b.c"], {"t": 1}, "", "a.b.c", "x" * 5000, "tg:123", "wa:+39333"])
def test_anything_else_is_refused(value):
    assert verify(SECRET, value) is None


def test_a_token_of_another_secret_or_too_old_is_refused():
    _, token = issue("un-altro-segreto")
    assert verify(SECRET, token) is None
    now = time.time()
    _, old = issue(SECRET, now=now - TOKEN_MAX_AGE - 1)
    assert verify(SECRET, old, now=now) is None
    _, recent = issue(SECRET, now=now - TOKEN_MAX_AGE + 60)
    assert verify(SECRET, recent, now=now) is not None
    _, future = issue(SECRET, now=now + 3600)
    assert verify(SECRET, future, now=now) is None


def test_widget_settings_defaults_follow_host_and_ports():
    w = settings.load_widget({"SV_WEB_PORT": "9100", "SV_DEMO_PORT": "9101", "SV_RASA_PORT": "9102"})
    assert w.public_origins == ("http://127.0.0.1:9100",)
    assert w.socket_url == "http://127.0.0.1:9102"
    assert w.allowed_embedders == ("http://127.0.0.1:9101", "http://localhost:9101")
    # unset secret: one per process, the same at every read, handed to the servers the launcher starts
    assert w.session_secret == settings.load_widget({}).session_secret and len(w.session_secret) >= 32
    s = settings.load({})
    assert settings.rasa_environment(s, {})["SV_SESSION_SECRET"] == w.session_secret
    assert settings.rasa_environment(s, {"SV_SESSION_SECRET": "condiviso"})["SV_SESSION_SECRET"] == "condiviso"


def test_widget_settings_read_lists_of_origins():
    w = settings.load_widget(
        {
            "SV_PUBLIC_ORIGIN": "https://chat.example.it/, https://Chat2.example.it",
            "SV_ALLOWED_EMBEDDERS": "https://www.comune.example.it  https://*.asl.example.it",
        }
    )
    assert w.public_origins == ("https://chat.example.it", "https://chat2.example.it")
    assert w.allowed_embedders == ("https://www.comune.example.it", "https://*.asl.example.it")


@pytest.mark.parametrize(
    "name,value",
    [
        ("SV_PUBLIC_ORIGIN", "https://chat.example.it/widget"),
        ("SV_PUBLIC_ORIGIN", "*"),
        ("SV_PUBLIC_ORIGIN", "https://*.example.it"),
        ("SV_ALLOWED_EMBEDDERS", "javascript:alert(1)"),
        ("SV_ALLOWED_EMBEDDERS", "https://comune.example.it; script-src *"),
        ("SV_ALLOWED_EMBEDDERS", "*"),
        ("SV_SOCKET_URL", "https://chat.example.it/socket.io"),
    ],
)
def test_a_value_that_is_not_an_origin_stops_the_start(name, value):
    with pytest.raises(SystemExit, match=name):
        settings.load_widget({name: value})


def test_the_iframe_page_policy_lists_the_embedders_and_the_socket():
    policy = frame_policy("https://chat.example.it", ("https://www.comune.example.it",))
    assert "frame-ancestors https://www.comune.example.it" in policy
    assert "connect-src 'self' https://chat.example.it wss://chat.example.it" in policy
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert frame_policy("https://chat.example.it", ()).endswith("frame-ancestors 'none'")
