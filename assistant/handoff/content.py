"""Handoff texts (content/handoff.yml) filled with the service's settings."""

from assistant import content as files
from assistant import settings


def _texts():
    return files.load("handoff")


def explain() -> str:
    return " ".join(_texts()["explain"].format(hours=settings.load().operator_hours).split())


def done(record_id: int, can_push: bool) -> str:
    return " ".join(_texts()["done" if can_push else "done_no_push"].format(id=record_id).split())


def erased(handoff_ids, seen: bool) -> str:
    """What was erased, said after the fact; whether an operator had already opened the request."""
    parts = [_texts()["erased"]]
    if handoff_ids:
        key = "erased_handoff_seen" if seen else "erased_handoff_unseen"
        parts.append(_texts()[key].format(ids=", ".join(str(i) for i in handoff_ids)))
    parts.append(_texts()["erased_remains_handoff" if handoff_ids else "erased_remains"])
    return " ".join(" ".join(parts).split())


def erase_failed() -> str:
    return " ".join(_texts()["erase_failed"].split())


def operator(message: str) -> str:
    return _texts()["operator_prefix"] + message
