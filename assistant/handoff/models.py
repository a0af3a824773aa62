"""SQLAlchemy models of handoffs, operators, console sessions and the audit log (same database as
the directory: SV_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship
from sqlalchemy.sql.expression import false, true

from assistant.db import Base

OPEN, IN_PROGRESS, CLOSED = "open", "in_progress", "closed"
STATUSES = (OPEN, IN_PROGRESS, CLOSED)
OPERATOR, SUPERVISOR, EDITOR = "operator", "supervisor", "editor"
ROLES = (OPERATOR, SUPERVISOR, EDITOR)
CASE_ROLES = (OPERATOR, SUPERVISOR)  # an editor keeps the services directory and never sees requests


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Operator(Base):
    __tablename__ = "operators"
    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(80), unique=True, nullable=False)
    password_hash = Column(String(200), nullable=False)
    role = Column(String(20), nullable=False, default=OPERATOR)
    created = Column(DateTime, nullable=False, default=now)
    active = Column(Boolean, nullable=False, default=True, server_default=true())  # a supervisor can disable
    totp_secret = Column(String(64))  # set at first login; the second factor is required once confirmed
    totp_confirmed = Column(Boolean, nullable=False, default=False, server_default=false())
    totp_last_step = Column(Integer)  # a code is accepted once


class Handoff(Base):
    __tablename__ = "handoffs"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(200), nullable=False, index=True)
    channel = Column(String(40), nullable=False)
    created = Column(DateTime, nullable=False, default=now, index=True)
    summary = Column(Text)  # only with the person's consent
    contact = Column(Text)  # how and when it is safe to be contacted, or "no contact"
    status = Column(String(20), nullable=False, default=OPEN, index=True)
    assignee_id = Column(Integer, ForeignKey("operators.id"), nullable=True)
    closed = Column(DateTime)

    assignee = relationship(Operator)
    notes = relationship("Note", back_populates="handoff", cascade="all, delete-orphan", order_by="Note.created")


class Note(Base):
    __tablename__ = "handoff_notes"
    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id"), nullable=False, index=True)
    author_id = Column(Integer, ForeignKey("operators.id"), nullable=False)
    created = Column(DateTime, nullable=False, default=now)
    text = Column(Text, nullable=False)

    handoff = relationship(Handoff, back_populates="notes")
    author = relationship(Operator)


class ConsoleSession(Base):
    __tablename__ = "console_sessions"
    id = Column(String(64), primary_key=True)  # SHA-256 of the random id sent as an HttpOnly cookie
    operator_id = Column(Integer, ForeignKey("operators.id"), nullable=False, index=True)
    csrf = Column(String(64), nullable=False)
    verified = Column(Boolean, nullable=False, default=False, server_default=false())  # second factor passed
    created = Column(DateTime, nullable=False, default=now)
    last_seen = Column(DateTime, nullable=False, default=now)

    operator = relationship(Operator)


class LoginFailure(Base):
    __tablename__ = "console_login_failures"
    id = Column(Integer, primary_key=True, autoincrement=True)
    key = Column(String(200), nullable=False, index=True)  # "user:", "ip:" or "user+ip:" key
    at = Column(DateTime, nullable=False, default=now)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime, nullable=False, default=now)
    operator = Column(String(80), nullable=False)
    action = Column(String(40), nullable=False)
    target = Column(String(200), nullable=False)
    reason = Column(Text)
    conversation = Column(String(64), index=True)  # keyed hash of the conversation id, never the id
