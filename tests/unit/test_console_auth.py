"""Console authentication pieces: client address behind proxies, TOTP steps, slow-down arithmetic."""

import datetime as dt

import pyotp

from assistant import db
from assistant.console import auth
from assistant.handoff import models as hm
from assistant.handoff import service


def test_client_address_trusts_only_the_configured_number_of_proxies():
    forged_then_real = ["6.6.6.6, 203.0.113.7"]  # the client's own claim, then what nginx appended
    assert auth.client_address("127.0.0.1", forged_then_real, 1) == "203.0.113.7"
    assert auth.client_address("127.0.0.1", ["6.6.6.6, 203.0.113.7, 10.0.0.2"], 2) == "203.0.113.7"
    assert auth.client_address("198.51.100.1", forged_then_real, 0) == "198.51.100.1"  # no proxy: header ignored
    assert auth.client_address("127.0.0.1", [], 1) == "127.0.0.1"


def test_a_totp_code_is_accepted_once_and_only_near_its_time():
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    moment = 1_800_000_000.0
    step = auth.check_totp(secret, totp.at(moment), None, moment)
    assert step == int(moment // 30)
    assert auth.check_totp(secret, totp.at(moment), step, moment) is None  # replay
    assert auth.check_totp(secret, totp.at(moment + 30), step, moment) == step + 1  # clock a step ahead
    assert auth.check_totp(secret, totp.at(moment - 300), None, moment) is None  # too old
    assert auth.check_totp(secret, "12345", None, moment) is None
    spaced = totp.at(moment)[:3] + " " + totp.at(moment)[3:]
    assert auth.check_totp(secret, spaced, None, moment) == step


def test_slow_down_doubles_per_key_and_forgets_after_the_window(tmp_path):
    url = f"sqlite:///{tmp_path}/sv.db"
    service.ensure_schema(url)
    keys = auth.throttle_keys("Operatrice", "203.0.113.7")
    assert keys == ["pair:operatrice|203.0.113.7", "ip:203.0.113.7", "user:operatrice"]
    start = dt.datetime(2026, 11, 25, 10, 0, 0)
    with db.session_scope(url) as session:
        session.add_all([hm.LoginFailure(key=k, at=start) for k in keys for _ in range(3)])
    assert auth.wait_seconds(keys, url, start) == 2  # 3 failures of the pair: wait 2 s
    assert auth.wait_seconds(keys, url, start + dt.timedelta(seconds=2)) == 0
    with db.session_scope(url) as session:
        session.add(hm.LoginFailure(key=keys[0], at=start))
    assert auth.wait_seconds(keys, url, start) == 4
    other = auth.throttle_keys("operatrice", "198.51.100.1")  # the same user elsewhere: 3 user failures < 10
    assert auth.wait_seconds(other, url, start) == 0
    assert auth.wait_seconds(keys, url, start + dt.timedelta(minutes=16)) == 0  # outside the window
