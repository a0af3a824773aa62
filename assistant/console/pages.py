"""What every console view shares: the Jinja2 templates (autoescaping on, so any text from a
conversation is shown as text), the audit of the signed-in operator's actions, and running blocking
work off the event loop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Tuple

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, response
from sanic.request import Request

from assistant.handoff import service

HERE = Path(__file__).resolve().parent

_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"], default=True)
)


def render(name: str, http_status: int = 200, **context) -> response.HTTPResponse:
    return response.html(_templates.get_template(name).render(**context), status=http_status)


def audit(
    request: Request, action: str, target: str, reason: Optional[str] = None, conversation_id: Optional[str] = None
) -> None:
    """An action of the signed-in operator in the audit log (the conversation named by a keyed hash)."""
    service.audit(
        request.ctx.user["username"], action, target, reason, url=request.app.ctx.url, conversation_id=conversation_id
    )


async def in_thread(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def blueprint(name: str, routes: Iterable[Tuple[str, str, Callable[..., Any]]]) -> Blueprint:
    """A new blueprint (one per app: tests build several apps in one process) with (method, path, view)."""
    bp = Blueprint(name)
    for method, path, view in routes:
        bp.add_route(view, path, methods=[method])
    return bp
