"""The services that serve a comune: coverage first, then distance (haversine on comune coordinates)."""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from assistant import db
from assistant.directory import models as m


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _public(service: m.Service) -> Dict:
    """What may be shown to a user. A shelter's address is never part of it."""
    shelter = service.tipo == m.CASA_RIFUGIO
    return {
        "id": service.id, "tipo": service.tipo, "nome": service.nome, "ente": service.ente,
        "comune": service.comune.nome if service.comune else None, "provincia": service.provincia,
        "indirizzo": None if shelter else service.indirizzo,
        "telefoni": service.phone_list, "telefono_h24": service.telefono_h24,
        "numero_verde": service.numero_verde, "email": service.email, "sito": service.sito,
        "orari": service.orari, "note": service.note, "fonte_url": service.fonte_url,
        "fonte_data": service.fonte_data, "data_fonte": service.data_fonte,
        "phone_known": bool(service.phone_list or service.telefono_h24 or service.numero_verde),
    }


class Directory:
    """Services and coverage held in memory (a few hundred rows) for fast look-ups."""

    def __init__(self, comuni: Dict[str, m.Comune], services: List[m.Service]):
        self.comuni = comuni
        self.services = services
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
            if s.id == f"N-{digits}":
                return _public(s)
        return None

    def nearest(self, istat: str, tipo: str, limit: int = 2) -> List[Dict]:
        """Services of `tipo` for the comune: those that cover it (comune, then province), then the
        nearest by distance. Each result has `copertura` and `distance_km` (None when unknown)."""
        here = self.comuni[istat]
        out: List[Dict] = []
        seen = set()

        def add(service: m.Service, copertura: str) -> None:
            if service.id in seen or service.tipo != tipo or not service.attivo or not service.data_fonte:
                return  # a service is shown only with the date of its source
            seen.add(service.id)
            item = _public(service)
            item["copertura"] = copertura
            place = service.comune
            item["distance_km"] = round(haversine_km(here.lat, here.lon, place.lat, place.lon), 1) if place else None
            out.append(item)

        for service in self.by_comune.get(istat, []):
            add(service, "comune")
        for service in self.by_province.get(here.provincia, []):
            add(service, "provincia")
        if tipo == m.ENTE_GESTORE:
            # Only a sourced coverage row says which ente serves a comune; distance would be a guess.
            return out[:limit]
        located = [s for s in self.services
                   if s.tipo == tipo and s.attivo and s.comune and s.data_fonte and s.id not in seen]
        located.sort(key=lambda s: haversine_km(here.lat, here.lon, s.comune.lat, s.comune.lon))
        for service in located:
            if len(out) >= limit:
                break
            add(service, "distanza")
        return out[:limit]


@lru_cache(maxsize=None)
def directory(url: Optional[str] = None) -> Directory:
    with db.session_scope(url) as session:
        comuni = {c.istat: c for c in session.execute(select(m.Comune)).scalars()}
        services = list(session.execute(
            select(m.Service).options(selectinload(m.Service.coverage), selectinload(m.Service.comune))
        ).scalars())
        session.expunge_all()
    return Directory(comuni, services)


def nearest(istat: str, tipo: str, limit: int = 2, url: Optional[str] = None) -> List[Dict]:
    return directory(url).nearest(istat, tipo, limit)
