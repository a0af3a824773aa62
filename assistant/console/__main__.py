"""Operator console commands.

python -m assistant.console serve [--port N]                    start the web app (make run does it)
python -m assistant.console create-operator NAME [--role supervisor]
    (password from SV_NEW_PASSWORD, else asked twice on the terminal; at least 12 characters;
     the TOTP second factor is enrolled at the first login)
"""

from __future__ import annotations

import argparse
import getpass
import sys

from assistant import settings
from assistant.handoff.rasa_client import RasaApi


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.console", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve")
    p_serve.add_argument("--port", type=int)
    p_op = sub.add_parser("create-operator")
    p_op.add_argument("username")
    p_op.add_argument("--role", default="operator", choices=["operator", "supervisor", "editor"])
    args = parser.parse_args(argv)
    s = settings.load()

    if args.command == "create-operator":
        from assistant.console.app import create_operator

        password = s.new_password
        if not password:
            password = getpass.getpass("Password (almeno 12 caratteri): ")
            if password != getpass.getpass("Ripeti la password: "):
                print("error: the passwords differ", file=sys.stderr)
                return 1
        try:
            create_operator(args.username, password, args.role)
        except Exception as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(f"operator {args.username!r} ({args.role}) created")
        return 0

    from assistant.console.app import create_app

    rasa_url, token = s.rasa_url, s.api_token
    # Cookies are Secure with __Host- names unless SV_CONSOLE_INSECURE_COOKIES=1 (plain http on
    # loopback); the retention purge is its own process (python -m rasa_addons.retention purge).
    app = create_app(rasa=RasaApi(rasa_url, token) if token else None)
    app.run(host=s.host, port=args.port or s.console_port, access_log=False, workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
