"""Console authentication: operator creation, passwords (Argon2, off the event loop), the TOTP second
factor, sessions stored hashed, cookies, CSRF tokens, the client address behind trusted proxies and
login slow-down. :class:`ConsoleAuth` holds one app's choices (database, cookie flags, proxies);
:func:`login_required` guards the views of every blueprint with it.

Slow-down instead of lock-out: failures are counted per (user, address), per address and per user in a
15-minute window; past a few free attempts each key makes the next attempt wait, doubling up to a cap.
An attempt made while waiting is refused without being checked or counted, so one address hammering
a user name slows down that address, not the operator who logs in from elsewhere.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import wraps
from typing import Dict, Iterable, List, Optional, Tuple

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sanic import response
from sanic.request import Request
from sqlalchemy import func, select

from assistant import db
from assistant.handoff import lifecycle, service
from assistant.handoff import models as hm

HASHER = PasswordHasher()
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))  # unknown users cost the same time
ISSUER = "Sportello Vittime"
FAILURE_WINDOW = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Rule:
    prefix: str
    free: int  # failures allowed without waiting
    base: float  # seconds of the first wait, doubled at every further failure
    cap: float  # longest wait


RULES = (Rule("pair", 3, 2.0, 900.0), Rule("ip", 10, 2.0, 900.0), Rule("user", 10, 1.0, 60.0))


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def create_operator(
    username: str, password: str, role: str = hm.OPERATOR, url: Optional[str] = None, totp_secret: Optional[str] = None
) -> int:
    """A new operator; the second factor is enrolled at first login (or given here, already confirmed)."""
    if role not in hm.ROLES:
        raise ValueError(f"role must be one of {hm.ROLES}")
    if len(password) < 12:
        raise ValueError("the password must have at least 12 characters")
    service.ensure_schema(url)
    with db.session_scope(url) as session:
        operator = hm.Operator(
            username=username,
            password_hash=hash_password(password),
            role=role,
            totp_secret=totp_secret,
            totp_confirmed=bool(totp_secret),
        )
        session.add(operator)
        session.flush()
        return operator.id


def _verify(password_hash: Optional[str], password: str) -> bool:
    try:
        return HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: Optional[str], password: str) -> bool:
    """Argon2 takes tens of milliseconds of CPU: run it in a thread, not on the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, _verify, password_hash, password)


# -- Cookies and sessions -------------------------------------------------------------------------
def cookie_names(insecure: bool) -> Tuple[str, str]:
    """(session, login form) cookie names: `__Host-` names need Secure, so plain http drops the prefix."""
    return ("sv_console", "sv_login") if insecure else ("__Host-sv_console", "__Host-sv_login")


def set_cookie(resp, key: str, value: str, insecure: bool, max_age: Optional[int] = None) -> None:
    resp.cookies[key] = value
    resp.cookies[key]["httponly"] = True
    resp.cookies[key]["samesite"] = "Strict"
    resp.cookies[key]["path"] = "/"
    if not insecure:
        resp.cookies[key]["secure"] = True
    if max_age is not None:
        resp.cookies[key]["max-age"] = max_age


def session_key(token: str) -> str:
    """What the database keeps of a session cookie: its SHA-256, so a copy of the table opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_session(session, operator_id: int, verified: bool = False) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        hm.ConsoleSession(
            id=session_key(token), operator_id=operator_id, csrf=secrets.token_urlsafe(32), verified=verified
        )
    )
    return token


def end_sessions(session, operator_id: int) -> int:
    rows = (
        session.execute(select(hm.ConsoleSession).where(hm.ConsoleSession.operator_id == operator_id)).scalars().all()
    )
    for row in rows:
        session.delete(row)
    return len(rows)


# -- One app's sessions, and the guard of its views --------------------------------------------------
class ConsoleAuth:
    """Where one console app keeps its sessions, its cookies' names and flags, and how many proxies
    stand in front of it. Stored as ``app.ctx.auth``; the views reach it through the request."""

    def __init__(self, url: Optional[str], insecure: bool, trusted_proxies: int):
        self.url, self.insecure, self.trusted_proxies = url, insecure, trusted_proxies
        self.cookie, self.login_cookie = cookie_names(insecure)

    def address(self, request: Request) -> str:
        return client_address(request.ip, request.headers.getall("x-forwarded-for", []), self.trusted_proxies)

    def set_cookie(self, resp, key: str, value: str, max_age: Optional[int] = None) -> None:
        set_cookie(resp, key, value, self.insecure, max_age)

    def session_of(self, request: Request, verified: bool = True) -> Optional[Dict]:
        """The signed-in operator, or None (no cookie, expired, second factor missing, disabled)."""
        token = request.cookies.get(self.cookie)
        if not token:
            return None
        with db.session_scope(self.url) as session:
            row = session.get(hm.ConsoleSession, session_key(token))
            if row is None:
                return None
            moment = hm.now()
            if (
                moment - row.last_seen > lifecycle.SESSION_IDLE
                or moment - row.created > lifecycle.SESSION_MAX
                or not row.operator.active
            ):
                session.delete(row)
                return None
            if bool(row.verified) != verified:
                return None
            row.last_seen = moment
            op = row.operator
            return {
                "sid": row.id,
                "csrf": row.csrf,
                "operator_id": op.id,
                "username": op.username,
                "role": op.role,
                "enrolled": bool(op.totp_confirmed),
            }


def of(request: Request) -> ConsoleAuth:
    return request.app.ctx.auth


def csrf_ok(request: Request, expected: str) -> bool:
    return hmac.compare_digest(str(request.form.get("csrf", "")), expected)


def login_required(role: Optional[str] = None, csrf: bool = False, roles: tuple = hm.CASE_ROLES):
    """`role`: only that role; otherwise any of `roles` (by default the roles that handle requests).
    The operator is then ``request.ctx.user``."""

    def decorator(handler):
        @wraps(handler)
        async def wrapped(request: Request, *args, **kwargs):
            user = of(request).session_of(request)
            if user is None:
                if request.method == "GET":
                    return response.redirect("/login")
                return response.text("Accesso richiesto", status=401)
            if (role and user["role"] != role) or (not role and user["role"] not in roles):
                return response.text("Non autorizzato", status=403)
            if csrf and not csrf_ok(request, user["csrf"]):
                return response.text("Richiesta non valida (token CSRF)", status=403)
            request.ctx.user = user
            return await handler(request, *args, **kwargs)

        return wrapped

    return decorator


# -- Client address -------------------------------------------------------------------------------
def client_address(peer: str, forwarded_for: Iterable[str], trusted_proxies: int) -> str:
    """The address of whoever reached the first trusted proxy: with N proxies each appending its
    peer to X-Forwarded-For, the N-th entry from the right. Entries further left are the client's
    own claims and are ignored."""
    if trusted_proxies <= 0:
        return peer
    hops = [part.strip() for header in forwarded_for for part in header.split(",") if part.strip()]
    if len(hops) < trusted_proxies:
        return hops[0] if hops else peer
    return hops[-trusted_proxies]


# -- Slow-down ------------------------------------------------------------------------------------
def throttle_keys(username: str, address: str) -> List[str]:
    name = username.strip().lower()[:80]
    return [f"pair:{name}|{address}", f"ip:{address}", f"user:{name}"]


def wait_seconds(keys: List[str], url: Optional[str] = None, moment: Optional[dt.datetime] = None) -> int:
    """How long the next attempt must wait (0: it may be checked now)."""
    moment = moment or hm.now()
    longest = 0.0
    with db.session_scope(url) as session:
        for key, rule in zip(keys, RULES):
            count, last = session.execute(
                select(func.count(hm.LoginFailure.id), func.max(hm.LoginFailure.at)).where(
                    hm.LoginFailure.key == key, hm.LoginFailure.at > moment - FAILURE_WINDOW
                )
            ).one()
            if count >= rule.free and last is not None:
                wait = min(rule.cap, rule.base * 2 ** (count - rule.free))
                longest = max(longest, wait - (moment - last).total_seconds())
    return int(longest + 0.999) if longest > 0 else 0


def record_failure(keys: List[str], url: Optional[str] = None) -> None:
    with db.session_scope(url) as session:
        session.add_all([hm.LoginFailure(key=k) for k in keys])


def clear_failures(keys: List[str], url: Optional[str] = None) -> None:
    """After a full login, the (user, address) pair starts afresh; address and user counts stay."""
    with db.session_scope(url) as session:
        for row in session.execute(select(hm.LoginFailure).where(hm.LoginFailure.key == keys[0])).scalars():
            session.delete(row)


# -- TOTP -----------------------------------------------------------------------------------------
def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    import segno

    return segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff")


def check_totp(secret: str, code: str, last_step: Optional[int], moment: Optional[float] = None) -> Optional[int]:
    """The time step of a valid code (the current one, or one step either side for clock drift),
    or None. A step at or before `last_step` was used already and is refused (no replay)."""
    code = "".join(ch for ch in str(code) if ch.isdigit())
    if len(code) != 6 or not secret:
        return None
    totp = pyotp.TOTP(secret)
    moment = dt.datetime.now(dt.timezone.utc).timestamp() if moment is None else moment
    for offset in (0, -1, 1):
        at = moment + offset * totp.interval
        step = int(at // totp.interval)
        if hmac.compare_digest(totp.at(int(at)), code) and (last_step is None or step > last_step):
            return step
    return None
