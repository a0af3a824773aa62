"""Static server of the demo pages and the widget (web/). The demo pages get the Rasa server URL
filled in; every response says: no caching, no referrer, only this server and Rasa may be contacted."""
from __future__ import annotations

import argparse
import functools
import http.server
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent / "web"


class Handler(http.server.SimpleHTTPRequestHandler):
    rasa_url = ""

    def end_headers(self) -> None:
        ws = self.rasa_url.replace("http://", "ws://").replace("https://", "wss://")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy",
                         f"default-src 'self'; connect-src 'self' {self.rasa_url} {ws}; "
                         "script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                         "frame-ancestors 'self'")
        super().end_headers()

    def do_GET(self) -> None:
        page = self.path.split("?")[0]
        page = "/index.html" if page == "/" else page
        if page.count("/") == 1 and page.endswith(".html") and (WEB / page[1:]).is_file():
            body = (WEB / page[1:]).read_text(encoding="utf-8").replace("{{RASA_URL}}", self.rasa_url).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.startswith("/node_modules"):
            self.send_error(404)
            return
        super().do_GET()

    def log_message(self, *args) -> None:  # no access log: it would record who opened the chat
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-url", required=True)
    args = parser.parse_args()
    Handler.rasa_url = args.rasa_url
    handler = functools.partial(Handler, directory=str(WEB))
    http.server.ThreadingHTTPServer((args.host, args.port), handler).serve_forever()


if __name__ == "__main__":
    main()
