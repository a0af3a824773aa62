"""Web server of the widget and of the demo site (web/), two origins as in a real embedding:

* the **assistant's origin** (``--port``, ``SV_WEB_PORT``): the embed script, the iframe page
  ``/widget/frame.html`` with its script and style, and the Socket.IO client. The iframe page says
  which sites may show it (CSP ``frame-ancestors`` from ``SV_ALLOWED_EMBEDDERS``) and that it talks
  only to the Socket.IO server (``--rasa-url`` or ``SV_SOCKET_URL``);
* the **demo site** (``--demo-port``, ``SV_DEMO_PORT``; 0: none): pages standing in for a Comune's
  site, which embed the widget from the assistant's origin.

Only the listed files are served (no directory listing); every response says: no caching, no
referrer; no access log (it would record who opened the chat).
"""

from __future__ import annotations

import argparse
import http.server
import threading
from pathlib import Path
from typing import Dict, Iterable, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"

from assistant import settings  # noqa: E402

JS, CSS, HTML = "text/javascript; charset=utf-8", "text/css; charset=utf-8", "text/html; charset=utf-8"
WIDGET_FILES = {
    "/widget/sportello-widget.js": ("widget/sportello-widget.js", JS),
    "/widget/frame.html": ("widget/frame.html", HTML),
    "/widget/frame.js": ("widget/frame.js", JS),
    "/widget/frame.css": ("widget/frame.css", CSS),
    "/vendor/socket.io.min.js": ("vendor/socket.io.min.js", JS),
}
DEMO_FILES = {
    "/": ("index.html", HTML),
    "/index.html": ("index.html", HTML),
    "/demo-sessione.html": ("demo-sessione.html", HTML),
    "/demo-pulsante.html": ("demo-pulsante.html", HTML),
    "/demo-iframe.html": ("demo-iframe.html", HTML),
    "/demo.css": ("demo.css", CSS),
}


def frame_policy(socket_url: str, embedders: Iterable[str]) -> str:
    """CSP of the iframe page: its own files, the Socket.IO server, shown only by the listed sites."""
    ws = socket_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    ancestors = " ".join(embedders) or "'none'"
    return (
        f"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {socket_url} {ws}; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {ancestors}"
    )


def demo_policy(widget_url: str) -> str:
    return (
        f"default-src 'self'; script-src 'self' {widget_url}; frame-src {widget_url}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'self'"
    )


class Handler(http.server.BaseHTTPRequestHandler):
    files: Dict[str, Tuple[str, str]] = {}
    replacements: Dict[str, str] = {}
    policies: Dict[str, str] = {}  # path -> Content-Security-Policy; "" default
    redirect_root: Optional[str] = None
    server_version = "sportello"
    sys_version = ""

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        path: str = "",
        head: bool = False,
        extra: Optional[Dict[str, str]] = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Content-Type-Options", "nosniff")
        policy = self.policies.get(path, self.policies.get("", ""))
        if policy:
            self.send_header("Content-Security-Policy", policy)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _get(self, head: bool) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == "/" and self.redirect_root:
            self._send(302, b"", HTML, head=head, extra={"Location": self.redirect_root})
            return
        entry = self.files.get(path)
        file = WEB / entry[0] if entry else None
        if not entry or not file.is_file():
            self._send(404, "Pagina non trovata.\n".encode(), "text/plain; charset=utf-8", head=head)
            return
        body = file.read_bytes()
        if entry[1] == HTML:
            text = body.decode("utf-8")
            for key, value in self.replacements.items():
                text = text.replace("{{" + key + "}}", value)
            body = text.encode("utf-8")
        self._send(200, body, entry[1], path, head)

    def do_GET(self) -> None:
        self._get(head=False)

    def do_HEAD(self) -> None:
        self._get(head=True)

    def _refuse(self) -> None:
        self._send(405, "Metodo non ammesso.\n".encode(), "text/plain; charset=utf-8", extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def log_message(self, *args) -> None:  # no access log: it would record who opened the chat
        pass


def widget_server(
    host: str, port: int, socket_url: str, embedders: Iterable[str], demo_url: Optional[str] = None
) -> http.server.ThreadingHTTPServer:
    """The assistant's origin: the widget's files; ``/`` leads to the demo site when there is one."""
    embedders = tuple(embedders)
    handler = type(
        "WidgetHandler",
        (Handler,),
        {
            "files": WIDGET_FILES,
            "replacements": {"SOCKET_URL": socket_url},
            "redirect_root": demo_url,
            "policies": {
                "/widget/frame.html": frame_policy(socket_url, embedders),
                "": "default-src 'none'; frame-ancestors 'none'",
            },
        },
    )
    return http.server.ThreadingHTTPServer((host, port), handler)


def demo_server(host: str, port: int, widget_url: str) -> http.server.ThreadingHTTPServer:
    """A stand-in for a Comune's site: another origin, which embeds the widget."""
    handler = type(
        "DemoHandler",
        (Handler,),
        {
            "files": DEMO_FILES,
            "replacements": {"WIDGET_URL": widget_url},
            "policies": {"": demo_policy(widget_url)},
        },
    )
    return http.server.ThreadingHTTPServer((host, port), handler)


def main() -> None:
    widget = settings.load_widget()
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default=settings.load().host)
    parser.add_argument("--port", type=int, default=settings.load().web_port)
    parser.add_argument("--rasa-url", help="Socket.IO server (default SV_SOCKET_URL, which wins when set)")
    parser.add_argument("--demo-port", type=int, default=widget.demo_port, help="0: no demo site")
    args = parser.parse_args()
    socket_url = widget.socket_url if settings.socket_url_given() or not args.rasa_url else args.rasa_url.rstrip("/")
    widget_url = widget.public_origins[0]
    demo_url = f"http://{args.host}:{args.demo_port}" if args.demo_port else None
    servers = [widget_server(args.host, args.port, socket_url, widget.allowed_embedders, demo_url and demo_url + "/")]
    if args.demo_port:
        servers.append(demo_server(args.host, args.demo_port, widget_url))
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
