"""Command line for operators and tests.

    python -m assistant.directory load [--if-changed]   validate the seed and (re)load the database
    python -m assistant.directory check                 validate the seed only, report bad rows
    python -m assistant.directory resolve "TEXT"        JSON: status, comune, candidates, region
    python -m assistant.directory nearest "TEXT" [--tipo TYPE] [--limit N]
"""
from __future__ import annotations

import argparse
import json
import sys

from assistant.directory import loader, models
from assistant.directory.nearest import nearest
from assistant.directory.resolve import FOUND, resolve


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.directory", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="SQLAlchemy URL (default: SV_DATABASE_URL or var/sportello.db)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_load = sub.add_parser("load", help="validate and load the seed data")
    p_load.add_argument("--if-changed", action="store_true", help="skip when the seed did not change")
    sub.add_parser("check", help="validate the seed data without loading it")
    p_res = sub.add_parser("resolve", help="resolve a comune")
    p_res.add_argument("text")
    p_near = sub.add_parser("nearest", help="services for a comune")
    p_near.add_argument("text")
    p_near.add_argument("--tipo", default=models.CENTRO_ANTIVIOLENZA, choices=models.SERVICE_TYPES)
    p_near.add_argument("--limit", type=int, default=3)
    args = parser.parse_args(argv)

    try:
        if args.command == "check":
            seed = loader.read_seed()
            print(json.dumps({"ok": True, "comuni": len(seed.comuni), "services": len(seed.services),
                              "coverage": len(seed.coverage)}))
            return 0
        if args.command == "load":
            counts = loader.load(args.db, if_changed=args.if_changed)
            print("    directory up to date" if not counts else f"    loaded {counts}")
            return 0
    except loader.SeedError as err:
        print(f"error: {err}; nothing was loaded:", file=sys.stderr)
        for line in err.errors:
            print(f"  - {line}", file=sys.stderr)
        return 1

    result = resolve(args.text, args.db)
    if args.command == "resolve":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    out = result.to_dict()
    if result.status == FOUND:
        out["services"] = nearest(result.comune["istat"], args.tipo, args.limit, args.db)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
