"""Thin rasa_sdk adapters: read the tracker, call assistant/, send the reply.

Importing this package inside the action server (rasa_sdk creates its Sanic app "rasa_sdk", then
imports the actions) guards that app: every request except GET /health must carry the shared
secret `SV_ACTIONS_SECRET` in the header `X-Sportello-Actions-Secret` (Rasa sends it: endpoints.yml),
otherwise 401; and the server refuses to start without a secret. The address it listens on is
SANIC_HOST (the entry point, python -m assistant.serve, sets it from SV_HOST).
"""

import hmac as _hmac


def _guard_action_server() -> None:
    try:
        from sanic import Sanic

        app = Sanic.get_app("rasa_sdk")
    except Exception:  # not inside the action server (unit tests, the console, ...)
        return
    from sanic import response

    from assistant import settings

    secret = settings.protection().actions_secret
    if not secret:
        raise SystemExit(
            "refusing to start the action server: set SV_ACTIONS_SECRET (the same value in Rasa's "
            "endpoints.yml headers), or any process that reaches it could run actions"
        )
    expected = secret.encode()

    async def check_secret(request):
        if request.method == "GET" and request.path == "/health":
            return None
        given = request.headers.get(settings.ACTIONS_SECRET_HEADER, "").encode()
        if not _hmac.compare_digest(given, expected):
            return response.json({"error": "unauthorised"}, status=401)
        return None

    app.register_middleware(check_secret, "request")


_guard_action_server()
