"""python -m assistant.migrations upgrade [--db URL]   apply the migrations (default: SV_DATABASE_URL)
python -m assistant.migrations current [--db URL]   show the applied revision"""

import argparse
import sys

from alembic import command

from assistant import settings
from assistant.migrations import config, upgrade


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.migrations")
    parser.add_argument("command", choices=["upgrade", "current"])
    parser.add_argument("--db", default=None)
    args = parser.parse_args(argv)
    url = args.db or settings.load().directory_url
    if args.command == "upgrade":
        upgrade(url)
    else:
        command.current(config(url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
