"""The services that serve a comune: coverage first (a source says which comuni a service serves),
distance only where nothing is known (haversine on comune coordinates).

The directory is held in memory for fast look-ups and reloaded when it changes: every edit bumps a
version row (`directory_meta.version`), read at most once every `SV_DIRECTORY_CHECK_SECONDS` (default 2),
so the action server shows an edit made by the console process without a restart."""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from typing import Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from assistant import db, settings
from assistant.directory import models as m

DEFAULT_STALE_MONTHS = settings.DEFAULT_STALE_MONTHS


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def stale_months() -> int:
    return settings.load().stale_months


def source_day(fonte_data_recente: Optional[str]) -> Optional[dt.date]:
    """The earliest day a source date can mean ("2023" -> 1 Jan 2023): the conservative reading."""
    if not fonte_data_recente:
        return None
    parts = [int(p) for p in fonte_data_recente.split("-")]
    return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, 28))


def is_stale(service: m.Service, today: Optional[dt.date] = None) -> bool:
    """Not verified, and no readable source date, for more than SV_STALE_MONTHS."""
    ref = service.verificato_il.date() if service.verificato_il else source_day(service.fonte_data_recente)
    return ref is None or ref < months_before(today or dt.date.today(), stale_months())


def _public(service: m.Service) -> Dict:
    """What may be shown to a user. A shelter's address is never part of it."""
    shelter = service.tipo == m.CASA_RIFUGIO
    return {
        "id": service.id,
        "tipo": service.tipo,
        "nome": service.nome,
        "ente": service.ente,
        "comune": service.comune.nome if service.comune else None,
        "provincia": service.provincia,
        "indirizzo": None if shelter else service.indirizzo,
        "telefoni": service.phone_list,
        "telefono_h24": service.telefono_h24,
        "numero_verde": service.numero_verde,
        "email": service.email,
        "sito": service.sito,
        "orari": service.orari,
        "note": service.note,
        "fonte_url": service.fonte_url,
        "fonte_data": service.fonte_data,
        "fonte_data_recente": service.fonte_data_recente,
        "verificato_il": service.verificato_il.strftime("%Y-%m-%d") if service.verificato_il else None,
        "stale": is_stale(service),
        "reachable": service.reachable,
    }


class Directory:
    """Services and coverage held in memory (a few hundred rows) for fast look-ups."""

    def __init__(self, comuni: Dict[str, m.Comune], services: List[m.Service], version: str = ""):
        self.comuni = comuni
        self.services = services
        self.version = version
        self.by_comune: Dict[str, List[m.Service]] = {}
        self.by_province: Dict[str, List[m.Service]] = {}
        for service in services:
            for cov in service.coverage:
                if cov.istat_comune:
                    self.by_comune.setdefault(cov.istat_comune, []).append(service)
                elif cov.provincia:
                    self.by_province.setdefault(cov.provincia, []).append(service)

    def national(self, number: str) -> Optional[Dict]:
        digits = "".join(ch for ch in number if ch.isdigit())
        for s in self.services:
            if s.id == f"N-{digits}":  # a national line is always given (it cannot be closed)
                return _public(s)
        return None

    def covering(self, istat: str, tipo: str) -> List[m.Service]:
        """Shown services of `tipo` that a source says serve the comune (the comune first, then its province)."""
        here = self.comuni[istat]
        out: List[m.Service] = []
        for service in self.by_comune.get(istat, []) + self.by_province.get(here.provincia, []):
            if service.tipo == tipo and service.shown and service not in out:
                out.append(service)
        return out

    def nearest(self, istat: str, tipo: str, limit: int = 2) -> List[Dict]:
        """Services of `tipo` for the comune. Where a source says which services cover it, those and only
        those (`copertura` "comune" or "provincia", reachable or not: the caller names the fallback line
        for one without contacts). Otherwise the nearest reachable ones by distance (`copertura`
        "distanza", the first with `piu_vicino`). Social-service bodies only ever by coverage."""
        here = self.comuni[istat]

        def item(service: m.Service, copertura: str) -> Dict:
            out = _public(service)
            out["copertura"] = copertura
            place = service.comune
            out["distance_km"] = round(haversine_km(here.lat, here.lon, place.lat, place.lon), 1) if place else None
            return out

        local = {s.id for s in self.by_comune.get(istat, [])}
        covering = [item(s, "comune" if s.id in local else "provincia") for s in self.covering(istat, tipo)]
        if covering or tipo == m.ENTE_GESTORE:
            # Coverage wins over distance; for social services distance would be a guess.
            return covering[:limit]
        located = [s for s in self.services if s.tipo == tipo and s.shown and s.comune]
        located.sort(key=lambda s: haversine_km(here.lat, here.lon, s.comune.lat, s.comune.lon))
        out = [item(s, "distanza") for s in located if s.reachable][:limit]
        if out and located[0].reachable:  # "il più vicino" only when it truly is the nearest one
            out[0]["piu_vicino"] = True
        return out


def current_version(url: Optional[str] = None) -> str:
    with db.session_scope(url) as session:
        row = session.get(m.Meta, "version")
        return row.value if row else ""


def _load(url: Optional[str]) -> Directory:
    with db.session_scope(url) as session:
        version = session.get(m.Meta, "version")
        version = version.value if version else ""
        comuni = {c.istat: c for c in session.execute(select(m.Comune)).scalars()}
        services = list(
            session.execute(
                select(m.Service).options(selectinload(m.Service.coverage), selectinload(m.Service.comune))
            ).scalars()
        )
        session.expunge_all()
    return Directory(comuni, services, version)


class _Cached:
    def __init__(self, value: Directory, checked: float):
        self.value, self.checked = value, checked


_cache: Dict[Optional[str], _Cached] = {}
_lock = threading.Lock()


def check_seconds() -> float:
    return settings.load().directory_check_seconds


def directory(url: Optional[str] = None) -> Directory:
    """The directory in memory; its version row is read at most every check_seconds() (one small query)
    and the whole directory reloaded only when the version changed."""
    with _lock:
        entry = _cache.get(url)
        moment = time.monotonic()
        if entry is not None and moment - entry.checked < check_seconds():
            return entry.value
        if entry is not None and current_version(url) == entry.value.version:
            entry.checked = moment
            return entry.value
        fresh = _load(url)
        _cache[url] = _Cached(fresh, moment)
        return fresh


def nearest(istat: str, tipo: str, limit: int = 2, url: Optional[str] = None) -> List[Dict]:
    return directory(url).nearest(istat, tipo, limit)
