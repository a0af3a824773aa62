"""Bad input: 5,000 generated requests against the REST channel -- empty, 100 KB, control
characters, RTL, emoji, other languages and scripts, HTML/SQL payloads, invalid JSON, wrong content
types. No 5xx, no crash, no silence: a well-formed message always gets at least one reply."""

import json
import uuid

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "'; DROP TABLE events; --",
    '" OR 1=1 --',
    "{{7*7}}",
    "${jndi:ldap://x/a}",
    "../../etc/passwd",
    "/restart",
    "/emergency",
    '/inform_comune{"comune": "<b>x</b>"}',
    '/kb_more{"topic": "../../etc"}',
    "\u202eabc\u202c",
    "مرحبا أحتاج مساعدة",
    "привет",
    "こんにちは",
    "😀🔪🚨",
    "\x00\x01\x02",
    "\ud7ff",
    " ",
    "",
]
LONG = ["a" * 2001, "aiuto " * 17000, "é" * 50000, "😀" * 30000]
message_text = st.one_of(
    st.text(max_size=300),  # any unicode: control characters, RTL, emoji, every script
    st.text(alphabet=st.characters(whitelist_categories=("Cc", "Cf", "Zs", "So")), max_size=50),
    st.sampled_from(PAYLOADS),
    st.sampled_from(LONG),
    st.builds(lambda a, b: a + " " + b, st.sampled_from(PAYLOADS), st.text(max_size=40)),
)
good = st.builds(lambda m: ("json", {"sender": "fuzz-" + uuid.uuid4().hex[:10], "message": m}, "message"), message_text)
odd_json = st.builds(
    lambda v: ("json", v, "odd-json"),
    st.one_of(
        st.none(),
        st.integers(),
        st.lists(st.integers(), max_size=3),
        st.fixed_dictionaries(
            {
                "sender": st.one_of(st.none(), st.integers(), st.text(max_size=300), st.booleans()),
                "message": st.one_of(
                    st.none(),
                    st.integers(),
                    st.floats(),
                    st.lists(st.text(max_size=3)),
                    st.dictionaries(st.text(max_size=3), st.text(max_size=3)),
                ),
            }
        ),
    ),
)
raw = st.builds(
    lambda b, t: ("raw", b, t),
    st.binary(max_size=2000),
    st.sampled_from(
        [
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/octet-stream",
            "",
        ]
    ),
)
request_spec = st.one_of(good, good, good, odd_json, raw)

stats = {"requests": 0, "4xx": 0, "replies": 0, "by_kind": {}}


@settings(
    max_examples=5000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(spec=request_spec)
def test_fuzz_rest_channel(bot, spec):
    url = bot.base + "/webhooks/rest/webhook"
    if spec[0] == "json":
        body, ctype, kind = json.dumps(spec[1]).encode(), "application/json", spec[2]
    else:
        body, ctype, kind = spec[1], spec[2], "raw"
    resp = _session().post(
        url, data=body, headers={**bot.auth, **({"Content-Type": ctype} if ctype else {})}, timeout=60
    )
    stats["requests"] += 1
    counts = stats["by_kind"].setdefault(kind, {})
    counts[resp.status_code] = counts.get(resp.status_code, 0) + 1
    assert resp.status_code < 500, (resp.status_code, body[:200])
    if resp.status_code >= 400:
        stats["4xx"] += 1
        return
    replies = resp.json()
    well_formed = spec[0] == "json" and isinstance(spec[1], dict) and isinstance(spec[1].get("sender"), str)
    if well_formed:
        assert replies, f"no reply to {body[:200]!r}"  # never silence
        stats["replies"] += 1
        for r in replies:
            assert "<script>" not in r.get("text", "")


_sessions = {}


def _session():
    return _sessions.setdefault("s", requests.Session())


def test_fuzz_counted(bot):
    print(f"\nfuzz: {stats}")
    assert stats["requests"] >= 5000
