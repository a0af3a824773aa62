"""Retention commands.

    python -m assistant.handoff purge [--days N]      delete conversations and handoffs older than N days
                                                      (default SV_RETENTION_DAYS, 30)
    python -m assistant.handoff erase CONVERSATION_ID erase one conversation on request
"""
import argparse
import json
import sys

from assistant import settings
from assistant.handoff import service


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.handoff", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_purge = sub.add_parser("purge")
    p_purge.add_argument("--days", type=int, default=settings.load().retention_days)
    p_erase = sub.add_parser("erase")
    p_erase.add_argument("conversation_id")
    args = parser.parse_args(argv)
    result = service.purge(args.days) if args.command == "purge" else service.erase(args.conversation_id)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
