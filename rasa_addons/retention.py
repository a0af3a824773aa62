"""Retention commands (docs/operations.md): assistant.handoff.lifecycle, holding the very locks Rasa
takes during a turn (Rasa's lock store, so this module is on the Rasa side).

    python -m rasa_addons.retention purge [--days N]        purge once: old sessions, closed handoffs, audit
                                                            entries, expired console sessions, login failures
    python -m rasa_addons.retention purge --every HOURS     purge now and then every HOURS (make run's process)
    python -m rasa_addons.retention erase CONVERSATION_ID   erase one conversation on request
"""

import argparse
import asyncio
import json
import logging
import sys
import time
from typing import Any

from rasa.core.lock_store import InMemoryLockStore, RedisLockStore

from assistant import settings
from assistant.handoff import lifecycle


def lock_store(s: settings.Settings) -> Any:
    """The lock store Rasa uses (Redis), or one of this process only when Rasa's is in memory."""
    if s.lock_store == "redis":
        return RedisLockStore(host=s.redis_host, port=s.redis_port, db=s.redis_db)
    return InMemoryLockStore()


def _erase(conversation_id: str) -> dict:
    from types import SimpleNamespace

    from sqlalchemy import create_engine

    s = settings.load()
    engine = create_engine(s.tracker_url, future=True)
    agent = SimpleNamespace(lock_store=lock_store(s), tracker_store=SimpleNamespace(engine=engine))
    try:
        return asyncio.run(lifecycle.erase_conversation(agent, conversation_id))
    finally:
        engine.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rasa_addons.retention",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_purge = sub.add_parser("purge")
    p_purge.add_argument("--days", type=int, default=None, help="default SV_RETENTION_DAYS")
    p_purge.add_argument("--every", type=float, default=None, metavar="HOURS", help="keep running, purge every HOURS")
    p_erase = sub.add_parser("erase")
    p_erase.add_argument("conversation_id")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "erase":
        print(json.dumps(_erase(args.conversation_id)))
        return 0
    while True:
        started = time.monotonic()
        try:
            print(json.dumps(lifecycle.purge(lock_store(settings.load()), args.days)), flush=True)
        except Exception:  # a scheduled purge retries at the next round; a single run reports failure
            logging.getLogger(__name__).exception("retention purge failed")
            if args.every is None:
                return 1
        if args.every is None:
            return 0
        time.sleep(max(60.0, args.every * 3600 - (time.monotonic() - started)))


if __name__ == "__main__":
    sys.exit(main())
