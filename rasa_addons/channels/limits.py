"""Abuse limits of the channels, in the process: a token bucket per client address (REST) and one
per conversation (every channel). A refused message gets a short answer that still gives 112/1522;
nginx adds its own per-address limit in front of the public paths (deploy/nginx.conf.template)."""

from __future__ import annotations

import ipaddress
import time
from typing import Dict, Iterable, Optional, Tuple

from assistant import settings

SLOW_DOWN = (
    "Stai inviando molti messaggi in poco tempo: aspetta un minuto e poi riscrivi. "
    "Se sei in pericolo chiama subito il 112; per violenza e stalking il 1522."
)
MAX_KEYS = 50_000


class Limiter:
    """`per_minute` events a minute per key, in bursts of up to `per_minute`; 0 turns it off."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.buckets: Dict[str, Tuple[float, float, bool]] = {}  # key -> (tokens, when, refused since)

    def allow(self, key: str) -> Tuple[bool, bool]:
        """(allowed, first refusal of a run of refusals: the moment to tell the person once)."""
        if self.per_minute <= 0:
            return True, False
        now = time.monotonic()
        tokens, when, refused = self.buckets.get(key, (float(self.per_minute), now, False))
        tokens = min(float(self.per_minute), tokens + (now - when) * self.per_minute / 60.0)
        if tokens >= 1.0:
            self._put(key, (tokens - 1.0, now, False))
            return True, False
        self._put(key, (tokens, now, True))
        return False, not refused

    def _put(self, key: str, value: Tuple[float, float, bool]) -> None:
        if key not in self.buckets and len(self.buckets) >= MAX_KEYS:
            self.buckets.pop(next(iter(self.buckets)))  # the oldest key: memory stays bounded
        self.buckets[key] = value


def _networks(items: Iterable[str]):
    nets = []
    for item in items:
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError as err:
            raise SystemExit(f"SV_TRUSTED_PROXIES: {item!r} is not an address or network") from err
    return nets


def _inside(ip: str, nets) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr in net for net in nets)


class Limits:
    """The limits of one Rasa process (shared by its channels)."""

    def __init__(self, protection: Optional[settings.Protection] = None) -> None:
        p = protection or settings.protection()
        self.per_address = Limiter(p.rate_per_address)
        self.per_conversation = Limiter(p.rate_per_conversation)
        self.proxies = _networks(p.trusted_proxies)

    def client_address(self, request) -> Optional[str]:
        """The client's address; None for an internal caller (a trusted proxy's own request, such
        as the tests or the load generator on loopback: nginx always sets X-Real-IP)."""
        ip = request.ip
        if _inside(ip, self.proxies):
            return request.headers.get("X-Real-IP") or None
        return ip

    def address_allowed(self, request) -> bool:
        address = self.client_address(request)
        return address is None or self.per_address.allow(address)[0]

    def conversation_allowed(self, conversation: str) -> Tuple[bool, bool]:
        return self.per_conversation.allow(conversation)


_shared: Optional[Limits] = None


def shared() -> Limits:
    global _shared
    if _shared is None:
        _shared = Limits()
    return _shared
