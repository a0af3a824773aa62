"""Local fakes of external APIs over real HTTP on loopback: they record what the assistant sends."""

import asyncio
import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.calls: List[Dict] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, call: Dict) -> None:
        with self.lock:
            self.calls.append(call)

    def of(self, method: str = None, **match) -> List[Dict]:
        with self.lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if (method is None or c["method"] == method)
            and all(str(c["body"].get(k)) == str(v) for k, v in match.items())
        ]

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ctype = self.headers.get("Content-Type", "")
        if "json" in ctype:
            body = json.loads(raw or b"{}")
        else:
            body = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        method = self.path.rstrip("/").split("/")[-1]
        self.server.record(
            {"path": self.path, "method": method, "body": body, "auth": self.headers.get("Authorization")}
        )
        if method == "Messages.json":  # Twilio
            answer = {"sid": "SM" + "0" * 32, "status": "queued"}
            self.send_response(201)
        else:  # Telegram Bot API
            answer = {"ok": True, "result": True if method != "sendMessage" else {"message_id": len(self.server.calls)}}
            self.send_response(200)
        data = json.dumps(answer).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class TcpProxy:
    """A TCP forwarder on loopback between the assistant and a real server (PostgreSQL), that a
    test can cut (every connection closed, new ones refused) and restore on the same port: a
    database that is briefly unreachable, without touching the shared server itself."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        self.server = None
        self.writers: set = set()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.restore()

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    async def _pipe(self, reader, writer):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        self.writers |= {client_writer, up_writer}
        await asyncio.gather(self._pipe(client_reader, up_writer), self._pipe(up_reader, client_writer))
        self.writers -= {client_writer, up_writer}

    async def _start(self):
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self):
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()
        await self.server.wait_closed()
        self.server = None

    def restore(self) -> None:
        if self.server is None:
            self._call(self._start())

    def cut(self) -> None:
        if self.server is not None:
            self._call(self._cut())

    def stop(self) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
