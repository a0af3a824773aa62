"""The id scheme and the in-process limits, without servers (their HTTP behaviour is tested in
tests/conversation/test_identity.py)."""

import pytest

from assistant import identity, settings
from rasa_addons.channels.limits import Limiter, Limits


def test_ids_are_prefixed_by_channel_and_output_refuses_foreign_ones():
    assert identity.conversation_id("telegram", 42) == "tg:42"
    assert identity.conversation_id("twilio", "whatsapp:+39333") == "wa:whatsapp:+39333"
    assert identity.conversation_id("rest", "wa:whatsapp:+39333") == "rest:wa:whatsapp:+39333"
    assert identity.address("twilio", "wa:whatsapp:+39333") == "whatsapp:+39333"
    assert identity.channel_of("rest:wa:whatsapp:+39333") == "rest"
    assert identity.channel_of("whatsapp:+39333") is None and identity.channel_of("tg") is None
    for channel, foreign in [
        ("twilio", "rest:wa:whatsapp:+39333"),
        ("telegram", "rest:tg:1"),
        ("telegram", "wa:1"),
        ("twilio", "whatsapp:+39333"),
        ("telegram", "tg:"),
    ]:
        with pytest.raises(identity.ForeignConversation):
            identity.address(channel, foreign)


def test_limiter_allows_a_burst_then_refuses_and_says_so_once():
    limiter = Limiter(3)
    assert [limiter.allow("a") for _ in range(3)] == [(True, False)] * 3
    assert limiter.allow("a") == (False, True)  # first refusal: tell the person
    assert limiter.allow("a") == (False, False)  # then quietly
    assert limiter.allow("b") == (True, False)  # per key
    assert all(Limiter(0).allow("a")[0] for _ in range(100))  # 0: off


class FakeRequest:
    def __init__(self, ip, headers=None):
        self.ip, self.headers = ip, headers or {}


def test_client_address_trusts_x_real_ip_only_from_trusted_proxies():
    limits = Limits(settings.protection({"SV_TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8"}))
    assert limits.client_address(FakeRequest("10.1.2.3", {"X-Real-IP": "203.0.113.5"})) == "203.0.113.5"
    assert limits.client_address(FakeRequest("127.0.0.1")) is None  # internal caller
    assert limits.client_address(FakeRequest("198.51.100.7", {"X-Real-IP": "1.1.1.1"})) == "198.51.100.7"
    with pytest.raises(SystemExit):
        Limits(settings.protection({"SV_TRUSTED_PROXIES": "not-an-address"}))


def test_webhook_dedup_in_redis_with_ttl_and_in_the_database(tmp_path, redis_url):
    import asyncio
    import uuid

    import redis

    from rasa_addons.channels.dedup import Dedup

    key = f"test:{uuid.uuid4().hex}"
    in_redis = Dedup(3600, redis_url=redis_url)
    in_db = Dedup(3600, database_url=f"sqlite:///{tmp_path}/dedup.db")

    async def twice(dedup):
        return [await dedup.first_time(key), await dedup.first_time(key), await dedup.first_time(key + "-other")]

    assert asyncio.run(twice(in_redis)) == [True, False, True]
    client = redis.Redis.from_url(redis_url)
    try:
        assert 0 < client.ttl(f"sv:webhook:{key}") <= 3600
    finally:
        client.delete(f"sv:webhook:{key}", f"sv:webhook:{key}-other")
    assert asyncio.run(twice(in_db)) == [True, False, True]
    # a store that cannot be reached: the update is handled rather than lost
    down = Dedup(3600, redis_url="redis://127.0.0.1:1/0")
    assert asyncio.run(down.first_time(key)) is True
