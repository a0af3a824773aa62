"""Directory maintenance: what the console (and `python -m assistant.directory import`) may change.

The database is the source of truth once it is loaded. Every change here
- carries its source ("URL" or "telefonata del ...") and the date of that source, written first in the
  entry's `fonte_url` / `fonte_data` (older sources kept after " | ", as in the seed files);
- bumps the directory version, so every process (action server, console) reloads it within seconds;
- is written to the audit log (`assistant.handoff.service.audit`) with what changed.
A casa rifugio never gets an address. A closed entry is kept, with its reason, and never shown.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

from sqlalchemy import select

from assistant import db
from assistant.directory import loader
from assistant.directory import models as m
from assistant.directory.nearest import _cache, is_stale
from assistant.text import normalise

# Fields a maintainer edits, with the labels the console shows.
LABELS = {
    "nome": "Nome",
    "ente": "Ente / gestore",
    "istat_comune": "Comune (codice ISTAT)",
    "indirizzo": "Indirizzo",
    "telefoni": "Telefoni (separati da |)",
    "telefono_h24": "Telefono 24 ore",
    "numero_verde": "Numero verde",
    "email": "Email",
    "sito": "Sito",
    "orari": "Orari",
    "note": "Note",
}
EDITABLE = tuple(LABELS)
PHONE_FIELDS = ("telefoni", "telefono_h24", "numero_verde")
# Kinds a maintainer can add, as written in the seed files' `tipo` column.
NEW_KINDS = {**{k: v[0] for k, v in loader.CAV_TYPES.items()}, "ente_gestore": m.ENTE_GESTORE, **loader.VICTIM_TYPES}
ID_PREFIX = {
    m.CENTRO_ANTIVIOLENZA: "CAV",
    m.SPORTELLO: "CAV",
    m.CASA_RIFUGIO: "CAV",
    m.ENTE_GESTORE: "SS",
    m.SUPPORTO_VITTIME: "VR",
    m.ANTITRATTA: "VR",
}
EXTRA_COLUMNS = ["stato", "motivo_chiusura", "verificato_il", "verificato_da"]


class EditError(ValueError):
    def __init__(self, errors: List[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def audit(operator: str, action: str, target: str, reason: str, url: Optional[str]) -> None:
    from assistant.handoff import service  # the console's audit log (same database)

    service.audit(operator, action, target[:200], reason, url=url)


def _changed(session) -> None:
    loader.bump_version(session)
    if session.get(m.Meta, "edited") is None:
        session.add(m.Meta(key="edited", value=now().isoformat(timespec="seconds")))


def _done(url: Optional[str]) -> None:
    _cache.pop(url, None)  # this process sees its own change at once; others within seconds


def check_source(fonte: str, data: str) -> Tuple[str, str]:
    """The source of a change: a URL or 'telefonata del ...', and its date (YYYY-MM-DD, not in the future)."""
    fonte, data = (fonte or "").strip(), (data or "").strip()
    errors = []
    if len(fonte) < 5:
        errors.append('Scrivi la fonte della modifica: un indirizzo web o, ad esempio, "telefonata del 25/11/2026".')
    day = loader.parse_day(data)
    if day is None:
        errors.append("Scrivi la data della fonte (AAAA-MM-GG).")
    elif day.date() > dt.date.today() or day.year < 1990:
        errors.append("La data della fonte non può essere nel futuro.")
    if errors:
        raise EditError(errors)
    return fonte.replace("|", "/"), day.strftime("%Y-%m-%d")


def _clean(values: Dict[str, str]) -> Dict[str, Optional[str]]:
    out = {}
    for key in EDITABLE:
        if key in values:
            value = str(values[key] or "").strip()[:2000]
            out[key] = (loader.split_list(value) if key == "telefoni" else value) or None
    return out


def validate(values: Dict[str, Optional[str]], tipo: str, known: Iterable[str]) -> List[str]:
    errors = []
    if "nome" in values and not values["nome"]:
        errors.append("Il nome non può essere vuoto.")
    for key in PHONE_FIELDS:
        phone = values.get(key)
        if phone and not loader.phone_is_valid(phone):
            errors.append(f'{LABELS[key]}: "{phone}" non è un numero di telefono valido.')
    email = values.get("email")
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        errors.append(f'Email: "{email}" non è un indirizzo email valido.')
    if values.get("istat_comune") and values["istat_comune"] not in set(known):
        errors.append(f"Il codice ISTAT {values['istat_comune']} non è un comune del Piemonte.")
    if tipo == m.CASA_RIFUGIO and (values.get("indirizzo") or "").strip().lower() not in loader.SHELTER_ADDRESS:
        errors.append("Una casa rifugio non ha mai un indirizzo: l'indirizzo è segreto per proteggere chi ci vive.")
    return errors


def _known(session) -> List[str]:
    return list(session.execute(select(m.Comune.istat)).scalars())


def _describe(changes: List[Tuple[str, object, object]]) -> str:
    return "; ".join(f"{key}: {old or '(vuoto)'} -> {new or '(vuoto)'}" for key, old, new in changes)


def _service(session, service_id: str) -> m.Service:
    service = session.get(m.Service, service_id)
    if service is None:
        raise EditError([f"Voce {service_id} non trovata."])
    return service


def _add_source(service: m.Service, fonte: str, data: str) -> None:
    service.fonte_url = f"{fonte} | {service.fonte_url}" if service.fonte_url else fonte
    service.fonte_data = f"{data} | {service.fonte_data}" if service.fonte_data else data
    service.fonte_data_recente = loader.newest_date(service.fonte_data)


def update(
    service_id: str, values: Dict[str, str], fonte: str, data: str, operator: str, url: Optional[str] = None
) -> List[Tuple[str, object, object]]:
    """Change some fields of an entry. Returns the changes (field, old, new); nothing when nothing changed."""
    fonte, data = check_source(fonte, data)
    cleaned = _clean(values)
    with db.session_scope(url) as session:
        service = _service(session, service_id)
        errors = validate(cleaned, service.tipo, _known(session))
        if errors:
            raise EditError(errors)
        changes: List[Tuple[str, object, object]] = [
            (key, getattr(service, key), new) for key, new in cleaned.items() if (getattr(service, key) or None) != new
        ]
        if not changes:
            return []
        for key, _old, new in changes:
            setattr(service, key, new)
            if key == "istat_comune":
                service.provincia = session.get(m.Comune, new).provincia if new else service.provincia
        _add_source(service, fonte, data)
        service.aggiornato_il, service.aggiornato_da = now(), operator
        _changed(session)
    audit(operator, "elenco_modifica", f"servizio {service_id}", f"{_describe(changes)} (fonte: {fonte}, {data})", url)
    _done(url)
    return changes


def verify(service_id: str, operator: str, url: Optional[str] = None) -> None:
    """'Verificato oggi': the maintainer checked the entry with its source; who and when are kept."""
    with db.session_scope(url) as session:
        service = _service(session, service_id)
        service.verificato_il, service.verificato_da = now(), operator
        _changed(session)
    audit(operator, "elenco_verificato", f"servizio {service_id}", "verificato oggi", url)
    _done(url)


def close(service_id: str, reason: str, operator: str, url: Optional[str] = None) -> None:
    reason = (reason or "").strip()[:1000]
    if len(reason) < 5:
        raise EditError(['Scrivi perché la voce viene chiusa (ad esempio "servizio cessato, telefonata del ...").'])
    with db.session_scope(url) as session:
        service = _service(session, service_id)
        if service.tipo == m.LINEA_NAZIONALE:
            raise EditError(
                [
                    "Un numero nazionale o regionale non si chiude: l'assistente lo dà sempre. "
                    "Se il numero cambia, modificalo con la sua fonte."
                ]
            )
        service.chiuso_motivo, service.chiuso_il, service.chiuso_da = reason, now(), operator
        _changed(session)
    audit(operator, "elenco_chiusura", f"servizio {service_id}", reason, url)
    _done(url)


def reopen(service_id: str, operator: str, url: Optional[str] = None) -> None:
    with db.session_scope(url) as session:
        service = _service(session, service_id)
        old = service.chiuso_motivo
        service.chiuso_motivo = service.chiuso_il = service.chiuso_da = None
        _changed(session)
    audit(operator, "elenco_riapertura", f"servizio {service_id}", f"era chiusa: {old}", url)
    _done(url)


def _next_id(session, prefix: str) -> str:
    numbers = [
        int(x[len(prefix) :])
        for x in session.execute(select(m.Service.id)).scalars()
        if x.startswith(prefix) and x[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def add(kind: str, values: Dict[str, str], fonte: str, data: str, operator: str, url: Optional[str] = None) -> str:
    """A new entry of a seed kind (e.g. 'sportello', 'ente_gestore'). Returns its id."""
    if kind not in NEW_KINDS:
        raise EditError([f"Tipo {kind!r} sconosciuto."])
    fonte, data = check_source(fonte, data)
    cleaned = _clean(values)
    tipo = NEW_KINDS[kind]
    with db.session_scope(url) as session:
        errors = validate(cleaned, tipo, _known(session))
        if not cleaned.get("nome"):
            errors.insert(0, "Il nome non può essere vuoto.")
        if errors:
            raise EditError(errors)
        service_id = _next_id(session, ID_PREFIX[tipo])
        service = m.Service(
            id=service_id,
            tipo=tipo,
            tipo_fonte=kind,
            attivo=kind != "centro_antiviolenza_in_attivazione",
            fonte_url=fonte,
            fonte_data=data,
            fonte_data_recente=data,
            aggiornato_il=now(),
            aggiornato_da=operator,
            **cleaned,
        )
        if tipo == m.CASA_RIFUGIO:
            service.indirizzo = None
        if service.istat_comune:
            service.provincia = session.get(m.Comune, service.istat_comune).provincia
        session.add(service)
        _changed(session)
    audit(
        operator,
        "elenco_aggiunta",
        f"servizio {service_id}",
        f"{_describe([(k, None, v) for k, v in values.items() if v])} (fonte: {fonte}, {data})",
        url,
    )
    _done(url)
    return service_id


def resolve_comuni(text: str, url: Optional[str] = None) -> Tuple[List[str], List[str], List[str]]:
    """Comuni written one per line (or separated by ';'): ISTAT code or exact name; 'provincia XX' for a
    whole province. Returns (istat codes, provinces, errors)."""
    with db.session_scope(url) as session:
        comuni = list(session.execute(select(m.Comune.istat, m.Comune.nome)).all())
    by_code = {code for code, _ in comuni}
    by_name: Dict[str, List[str]] = {}
    for code, name in comuni:
        by_name.setdefault(normalise(name), []).append(code)
    codes, provinces, errors = [], [], []
    for number, token in enumerate(re.split(r"[\n;]", text or ""), start=1):
        token = token.strip()
        if not token:
            continue
        province = re.fullmatch(r"(?i)provincia\s+([a-z]{2})", token)
        if province and province.group(1).upper() in loader.PROVINCES:
            provinces.append(province.group(1).upper())
        elif token in by_code:
            codes.append(token)
        elif len(by_name.get(normalise(token), [])) == 1:
            codes.append(by_name[normalise(token)][0])
        else:
            errors.append(
                f'Riga {number}: "{token}" non è un comune del Piemonte (scrivi il nome esatto o il codice ISTAT).'
            )
    return list(dict.fromkeys(codes)), list(dict.fromkeys(provinces)), errors


def set_coverage(
    service_id: str, text: str, fonte: str, data: str, operator: str, url: Optional[str] = None
) -> Dict[str, List[str]]:
    """Which comuni (or provinces) the entry serves, replacing the list; rows kept keep their source."""
    fonte, data = check_source(fonte, data)
    codes, provinces, errors = resolve_comuni(text, url)
    if errors:
        raise EditError(errors)
    with db.session_scope(url) as session:
        service = _service(session, service_id)
        old = {(c.istat_comune, c.provincia): c for c in service.coverage}
        new = {(code, None) for code in codes} | {(None, p) for p in provinces}
        removed = [key for key in old if key not in new]
        added = [key for key in new if key not in old]
        for key in removed:
            service.coverage.remove(old[key])
        for istat, provincia in added:
            service.coverage.append(
                m.Coverage(istat_comune=istat, provincia=provincia, fonte_url=fonte, fonte_data=data)
            )
        names = {c.istat: c.nome for c in session.execute(select(m.Comune)).scalars()}
        label = lambda key: str(names.get(key[0]) if key[0] else f"provincia {key[1]}")  # noqa: E731
        result = {"aggiunti": sorted(label(k) for k in added), "tolti": sorted(label(k) for k in removed)}
        if added or removed:
            _changed(session)
    if added or removed:
        audit(
            operator,
            "elenco_copertura",
            f"servizio {service_id}",
            f"aggiunti: {', '.join(result['aggiunti']) or '-'}; tolti: {', '.join(result['tolti']) or '-'} "
            f"(fonte: {fonte}, {data})",
            url,
        )
        _done(url)
    return result


# -- Listing ----------------------------------------------------------------------------------
def row(service: m.Service) -> Dict:
    return {
        "id": service.id,
        "tipo": service.tipo,
        "tipo_fonte": service.tipo_fonte or "",
        "nome": service.nome,
        "ente": service.ente or "",
        "comune": service.comune.nome if service.comune else "",
        "istat_comune": service.istat_comune or "",
        "provincia": service.provincia or "",
        "indirizzo": service.indirizzo or "",
        "telefoni": " | ".join(service.phone_list),
        "telefono_h24": service.telefono_h24 or "",
        "numero_verde": service.numero_verde or "",
        "email": service.email or "",
        "sito": service.sito or "",
        "orari": service.orari or "",
        "note": service.note or "",
        "fonte_url": service.fonte_url,
        "fonte_data": service.fonte_data,
        "fonte_data_recente": service.fonte_data_recente or "",
        "attivo": bool(service.attivo),
        "chiuso": service.chiuso,
        "chiuso_motivo": service.chiuso_motivo or "",
        "chiuso_da": service.chiuso_da or "",
        "chiuso_il": service.chiuso_il,
        "verificato_il": service.verificato_il,
        "verificato_da": service.verificato_da or "",
        "aggiornato_il": service.aggiornato_il,
        "aggiornato_da": service.aggiornato_da or "",
        "stale": is_stale(service),
        "reachable": service.reachable,
        "has_phone": bool(service.phone_list or service.telefono_h24 or service.numero_verde),
    }


def list_services(
    url: Optional[str] = None,
    tipo: str = "",
    provincia: str = "",
    stale: bool = False,
    missing_phone: bool = False,
    closed: bool = True,
) -> List[Dict]:
    from sqlalchemy.orm import selectinload

    with db.session_scope(url) as session:
        query = select(m.Service).options(selectinload(m.Service.comune)).order_by(m.Service.id)
        if tipo:
            query = query.where(m.Service.tipo == tipo)
        if provincia:
            query = query.where(m.Service.provincia == provincia)
        rows = [row(s) for s in session.execute(query).scalars()]
    if stale:
        rows = [r for r in rows if r["stale"]]
    if missing_phone:
        rows = [r for r in rows if not r["has_phone"]]
    if not closed:
        rows = [r for r in rows if not r["chiuso"]]
    return rows


def get(service_id: str, url: Optional[str] = None) -> Optional[Dict]:
    with db.session_scope(url) as session:
        service = session.get(m.Service, service_id)
        if service is None:
            return None
        out = row(service)
        names = {c.istat: c.nome for c in session.execute(select(m.Comune)).scalars()}
        out["coverage"] = [
            {
                "label": names.get(c.istat_comune) if c.istat_comune else f"provincia {c.provincia}",
                "istat": c.istat_comune or "",
                "fonte_url": c.fonte_url,
                "fonte_data": c.fonte_data,
            }
            for c in service.coverage
        ]
        return out


# -- CSV export and import (the seed's format) ---------------------------------------------------
SEED_HEADERS = {
    "centri_antiviolenza_piemonte.csv": [
        "id",
        "tipo",
        "nome",
        "ente_gestore",
        "comune",
        "istat_comune",
        "provincia",
        "indirizzo",
        "telefono",
        "telefono_h24",
        "numero_verde",
        "email",
        "sito",
        "orari",
        "note",
        "fonte_url",
        "fonte_data",
        "lat_comune",
        "lon_comune",
    ],
    "servizi_sociali_piemonte.csv": [
        "id",
        "denominazione",
        "acronimo",
        "tipo_ente",
        "codice_ipa",
        "comune_sede",
        "istat_sede",
        "provincia",
        "indirizzo_sede",
        "cap",
        "pec",
        "email",
        "sito",
        "telefono",
        "comuni_serviti",
        "note",
        "fonte_url",
        "fonte_data",
        "lat_comune_sede",
        "lon_comune_sede",
    ],
    "servizi_vittime_piemonte.csv": [
        "id",
        "tipo",
        "nome",
        "ente_gestore",
        "comune",
        "istat_comune",
        "provincia",
        "indirizzo",
        "telefono",
        "numero_verde",
        "email",
        "sito",
        "orari",
        "destinatari",
        "note",
        "fonte_url",
        "fonte_data",
        "lat_comune",
        "lon_comune",
    ],
}
# Which stored fields each file carries (only those are compared on import).
FILE_FIELDS = {
    "centri_antiviolenza_piemonte.csv": [
        "tipo_fonte",
        "nome",
        "ente",
        "istat_comune",
        "provincia",
        "indirizzo",
        "telefoni",
        "telefono_h24",
        "numero_verde",
        "email",
        "sito",
        "orari",
        "note",
    ],
    "servizi_sociali_piemonte.csv": [
        "tipo_fonte",
        "nome",
        "ente",
        "istat_comune",
        "provincia",
        "indirizzo",
        "telefoni",
        "email",
        "sito",
        "note",
    ],
    "servizi_vittime_piemonte.csv": [
        "tipo_fonte",
        "nome",
        "ente",
        "istat_comune",
        "provincia",
        "indirizzo",
        "telefoni",
        "numero_verde",
        "email",
        "sito",
        "orari",
        "note",
    ],
}
SOURCE_FIELDS = ["fonte_url", "fonte_data"]
KIND_TYPES = {
    "centri_antiviolenza_piemonte.csv": (m.CENTRO_ANTIVIOLENZA, m.SPORTELLO, m.CASA_RIFUGIO),
    "servizi_sociali_piemonte.csv": (m.ENTE_GESTORE,),
    "servizi_vittime_piemonte.csv": (m.SUPPORTO_VITTIME, m.ANTITRATTA),
}


def _seed_row(kind: str, s: m.Service) -> Dict[str, str]:
    place = s.comune
    common = {
        "id": s.id,
        "note": s.note or "",
        "fonte_url": s.fonte_url,
        "fonte_data": s.fonte_data,
        "email": s.email or "",
        "sito": s.sito or "",
        "provincia": s.provincia or "",
        "telefono": " | ".join(s.phone_list),
        "stato": "chiuso" if s.chiuso else "attivo",
        "motivo_chiusura": s.chiuso_motivo or "",
        "verificato_il": s.verificato_il.strftime("%Y-%m-%d") if s.verificato_il else "",
        "verificato_da": s.verificato_da or "",
    }
    if kind == "servizi_sociali_piemonte.csv":
        return {
            **common,
            "denominazione": s.nome,
            "acronimo": s.ente or "",
            "tipo_ente": s.tipo_fonte or "",
            "comune_sede": place.nome if place else "",
            "istat_sede": s.istat_comune or "",
            "indirizzo_sede": s.indirizzo or "",
            "lat_comune_sede": place.lat if place else "",
            "lon_comune_sede": place.lon if place else "",
        }
    return {
        **common,
        "tipo": s.tipo_fonte or s.tipo,
        "nome": s.nome,
        "ente_gestore": s.ente or "",
        "comune": place.nome if place else "",
        "istat_comune": s.istat_comune or "",
        "indirizzo": "segreto" if s.tipo == m.CASA_RIFUGIO else (s.indirizzo or ""),
        "telefono_h24": s.telefono_h24 or "",
        "numero_verde": s.numero_verde or "",
        "orari": s.orari or "",
        "lat_comune": place.lat if place else "",
        "lon_comune": place.lon if place else "",
    }


def export_csv(kind: str, url: Optional[str] = None) -> str:
    """One seed file as the database holds it now (closed entries included, marked in `stato`)."""
    if kind == "enti_gestori_comuni.csv":
        return _export_enti_comuni(url)
    if kind not in SEED_HEADERS:
        raise EditError([f"File {kind!r} sconosciuto."])
    header = SEED_HEADERS[kind] + EXTRA_COLUMNS
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    with db.session_scope(url) as session:
        services = (
            session.execute(select(m.Service).where(m.Service.tipo.in_(KIND_TYPES[kind])).order_by(m.Service.id))
            .scalars()
            .all()
        )
        for s in services:
            if kind == "servizi_sociali_piemonte.csv" and s.id.startswith("EG-"):
                continue  # a body known only by name lives in enti_gestori_comuni.csv
            writer.writerow(_seed_row(kind, s))
    return out.getvalue()


def _export_enti_comuni(url: Optional[str]) -> str:
    header = ["istat_comune", "comune", "provincia", "ente_gestore", "ente_gestore_id", "fonte_url", "fonte_data"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    with db.session_scope(url) as session:
        rows = session.execute(
            select(m.Coverage, m.Service, m.Comune)
            .select_from(m.Coverage)
            .join(m.Service, m.Coverage.service_id == m.Service.id)
            .join(m.Comune, m.Coverage.istat_comune == m.Comune.istat)
            .where(m.Service.tipo == m.ENTE_GESTORE)
            .order_by(m.Coverage.istat_comune)
        ).all()
        for cov, service, comune in rows:
            writer.writerow(
                {
                    "istat_comune": comune.istat,
                    "comune": comune.nome,
                    "provincia": comune.provincia,
                    "ente_gestore": service.nome,
                    "ente_gestore_id": "" if service.id.startswith("EG-") else service.id,
                    "fonte_url": cov.fonte_url,
                    "fonte_data": cov.fonte_data,
                }
            )
    return out.getvalue()


def kind_of(filename: str, text: str) -> Optional[str]:
    """Which seed file an upload is: by its name, otherwise by its header."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    if base in SEED_HEADERS:
        return base
    header = set(next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), []))
    if "denominazione" in header:
        return "servizi_sociali_piemonte.csv"
    if "telefono_h24" in header:
        return "centri_antiviolenza_piemonte.csv"
    if "destinatari" in header:
        return "servizi_vittime_piemonte.csv"
    return None


def _value(service: m.Service, key: str) -> str:
    value = getattr(service, key)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    return "" if value is None else str(value)


@dataclass
class Preview:
    kind: str
    filename: str
    changes: List[Dict] = field(default_factory=list)
    unchanged: int = 0
    absent: List[str] = field(default_factory=list)  # in the directory, not in the file: left as they are
    errors: List[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.changes, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def preview_import(filename: str, text: str, url: Optional[str] = None) -> Preview:
    """What importing this CSV would change, entry by entry; `errors` (file:line) when it cannot be applied."""
    name = (filename or "upload.csv").replace("\\", "/").rsplit("/", 1)[-1][:120]
    text = (text or "").replace("\r\n", "\n")  # a browser form sends the previewed text back with CRLF
    kind = kind_of(name, text)
    preview = Preview(kind=kind or "", filename=name)
    if kind is None:
        preview.errors.append(
            f"{name}:1: non riconosco il file: deve avere le colonne di uno dei file dell'elenco "
            f"({', '.join(SEED_HEADERS)})"
        )
        return preview
    r = loader.Reader()
    seed = loader.Seed()
    with db.session_scope(url) as session:
        known = set(_known(session))
        parse = {
            "centri_antiviolenza_piemonte.csv": loader.parse_centri,
            "servizi_sociali_piemonte.csv": loader.parse_sociali,
            "servizi_vittime_piemonte.csv": loader.parse_vittime,
        }[kind]
        parse(r, seed, known, text=text, name=name)
        ids = [s.id for s in seed.services]
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            r.bad(name, r.lines.get(dup, 1), f"l'id {dup} compare più di una volta")
        existing = {s.id: s for s in session.execute(select(m.Service)).scalars()}
        fields = FILE_FIELDS[kind]
        header = set(next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), []))
        # a file without the console's extra columns (e.g. a research seed) leaves closure and verification alone
        state = [
            k
            for k, col in (
                ("chiuso_motivo", "stato"),
                ("verificato_il", "verificato_il"),
                ("verificato_da", "verificato_da"),
            )
            if col in header
        ]
        for new in seed.services:
            line = r.lines.get(new.id, 0)
            old = existing.get(new.id)
            if old is not None and old.tipo not in KIND_TYPES[kind]:
                r.bad(name, line, f"l'id {new.id} è una voce di un altro file ({old.tipo})")
                continue
            keys = fields + SOURCE_FIELDS + state
            if old is None:
                diff = [[k, "", _value(new, k)] for k in keys if _value(new, k)]
                preview.changes.append({"id": new.id, "nome": new.nome, "line": line, "azione": "nuova", "campi": diff})
                continue
            diff = [[k, _value(old, k), _value(new, k)] for k in keys if _value(old, k) != _value(new, k)]
            if not diff:
                preview.unchanged += 1
                continue
            content = [d for d in diff if d[0] in fields]
            if content and not any(d[0] in SOURCE_FIELDS for d in diff):
                r.bad(
                    name,
                    line,
                    f"{new.id}: cambiano {', '.join(d[0] for d in content)} ma non fonte_url e "
                    "fonte_data: scrivi per prima, in entrambe, la fonte della modifica e la sua data",
                )
            if old.tipo == m.CASA_RIFUGIO and new.indirizzo:
                r.bad(name, line, "una casa rifugio non ha mai un indirizzo")
            preview.changes.append({"id": new.id, "nome": new.nome, "line": line, "azione": "modifica", "campi": diff})
        seen = set(ids)
        preview.absent = sorted(
            i for i, s in existing.items() if s.tipo in KIND_TYPES[kind] and i not in seen and not i.startswith("EG-")
        )
    preview.errors = r.errors
    preview._seed = seed  # type: ignore[attr-defined]
    return preview


def apply_import(filename: str, text: str, digest: str, operator: str, url: Optional[str] = None) -> Preview:
    """Apply exactly the previewed changes: the file is read again and its diff must have the previewed digest."""
    preview = preview_import(filename, text, url)
    if preview.errors:
        raise EditError(preview.errors)
    if preview.digest != digest:
        raise EditError(["L'elenco è cambiato dopo l'anteprima: ricarica il file e controlla di nuovo le differenze."])
    if not preview.changes:
        return preview
    by_id = {s.id: s for s in preview._seed.services}  # type: ignore[attr-defined]
    new_coverage = [c for c in preview._seed.coverage]  # type: ignore[attr-defined]
    with db.session_scope(url) as session:
        for change in preview.changes:
            new = by_id[change["id"]]
            if change["azione"] == "nuova":
                new.aggiornato_il, new.aggiornato_da = now(), operator
                session.add(new)
                session.flush()
                for cov in new_coverage:
                    if cov.service_id == new.id:
                        session.add(cov)
                continue
            old = session.get(m.Service, new.id)
            for key, _before, _after in change["campi"]:
                setattr(old, key, getattr(new, key))
            old.fonte_data_recente = loader.newest_date(old.fonte_data)
            old.aggiornato_il, old.aggiornato_da = now(), operator
            if old.chiuso_motivo and not old.chiuso_il:
                old.chiuso_il, old.chiuso_da = now(), operator
            if not old.chiuso_motivo:
                old.chiuso_il = old.chiuso_da = None
        _changed(session)
    for change in preview.changes:
        audit(
            operator,
            "elenco_import",
            f"servizio {change['id']}",
            f"{preview.filename}:{change['line']} {change['azione']}: {_describe(change['campi'])}",
            url,
        )
    _done(url)
    return preview
