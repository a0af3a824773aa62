"""Replayed webhooks are dropped: each Telegram `update_id` and Twilio `MessageSid` is handled once.

The ids are remembered for `SV_WEBHOOK_DEDUP_SECONDS` in Redis (SET NX with a TTL) when the lock
store is Redis, so every replica sees them; otherwise in a small table of our database
(`webhook_seen`, created on first use, old rows purged as new ones come). When the store cannot be
reached the update is handled anyway: losing a person's message is worse than answering twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Optional

import sqlalchemy as sa

from assistant import settings

logger = logging.getLogger(__name__)
metadata = sa.MetaData()
seen_table = sa.Table(
    "webhook_seen",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("seen_at", sa.Float, nullable=False, index=True),
)


class Dedup:
    def __init__(self, ttl_seconds: int, redis_url: Optional[str] = None, database_url: Optional[str] = None):
        self.ttl = max(60, ttl_seconds)
        self.redis_url, self.database_url = redis_url, database_url
        self._redis = None
        self._engine = None

    @classmethod
    def from_settings(cls) -> "Dedup":
        s, p = settings.load(), settings.protection()
        if s.lock_store == "redis":
            return cls(p.webhook_dedup_seconds, redis_url=f"redis://{s.redis_host}:{s.redis_port}/{s.redis_db}")
        return cls(p.webhook_dedup_seconds, database_url=s.directory_url)

    async def first_time(self, key: str) -> bool:
        """True the first time `key` is seen (handle the update), False for a replay."""
        try:
            if self.redis_url:
                return await self._redis_first(key)
            return await asyncio.get_running_loop().run_in_executor(None, self._db_first, key)
        except Exception:  # noqa: BLE001 - the store is down: handle rather than lose a message
            logger.exception("webhook dedup store unavailable; handling the update")
            return True

    async def _redis_first(self, key: str) -> bool:
        if self._redis is None:
            import redis.asyncio as aioredis

            self._redis = aioredis.from_url(self.redis_url, socket_timeout=2, socket_connect_timeout=2)
        return bool(await self._redis.set(f"sv:webhook:{key}", b"1", nx=True, ex=self.ttl))

    def _db_first(self, key: str) -> bool:
        if self._engine is None:
            engine = sa.create_engine(self.database_url, future=True, pool_pre_ping=True)
            # a cache of recent update ids, not data: outside the migrated schema, made where it is used
            # (docs/operations.md, "Database schema")
            metadata.create_all(engine, checkfirst=True)
            self._engine = engine
        now = time.time()
        with self._engine.begin() as conn:
            conn.execute(seen_table.delete().where(seen_table.c.seen_at < now - self.ttl))
        try:
            with self._engine.begin() as conn:
                conn.execute(seen_table.insert().values(key=key[:200], seen_at=now))
            return True
        except sa.exc.IntegrityError:
            return False
