"""Validate the seed CSVs in data/directory and load them into the directory database.

Every file is read and checked before anything is written; one bad row stops the load and is
reported with its file, line and reason, so the database never holds half a file. The load itself
is one transaction.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy import delete, inspect, select, text

from assistant import db
from assistant.settings import PROJECT_ROOT
from assistant.directory import models as m

SEED_DIR = PROJECT_ROOT / "data" / "directory"
SEED_FILES = (
    "comuni_piemonte.csv",
    "comuni_italia.csv",
    "centri_antiviolenza_piemonte.csv",
    "servizi_sociali_piemonte.csv",
    "enti_gestori_comuni.csv",
    "servizi_vittime_piemonte.csv",
    "numeri_nazionali.csv",
)
PROVINCES = {"TO", "CN", "AL", "AT", "NO", "VC", "BI", "VB"}
CAV_TYPES = {
    "centro_antiviolenza": (m.CENTRO_ANTIVIOLENZA, True),
    "centro_antiviolenza_in_attivazione": (m.CENTRO_ANTIVIOLENZA, False),
    "sportello": (m.SPORTELLO, True),
    "associazione_sportello": (m.SPORTELLO, True),
    "associazione": (m.SPORTELLO, True),
    "centro_ascolto": (m.SPORTELLO, True),
    "casa_rifugio": (m.CASA_RIFUGIO, True),
}
VICTIM_TYPES = {"assistenza_vittime_reato": m.SUPPORTO_VITTIME, "antitratta": m.ANTITRATTA,
                "antitratta_rete_locale": m.ANTITRATTA}

# A row whose note says the service ceased or merged is kept (history) but loaded as closed.
SHELTER_ADDRESS = {"", "segreto", "indirizzo segreto"}
_CLOSED_NOTE = re.compile(r"\b(CESSATO|CONFLUITO|non proporre agli utenti)\b", re.IGNORECASE)
_DATE = re.compile(r"\b((?:19|20)\d\d)(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?\b")
_PHONE = re.compile(r"\+?\d[\d .\-/]{1,16}\d")


class SeedError(Exception):
    def __init__(self, errors: List[str]):
        super().__init__(f"{len(errors)} bad rows in the directory seed")
        self.errors = errors


def newest_date(text: str) -> Optional[str]:
    """The most recent date written in a fonte_data field ("2023-12-07 | n.d." -> "2023-12-07")."""
    found = ["-".join(part for part in match if part) for match in _DATE.findall(text or "")]
    return max(found) if found else None


def date_is_valid(text: str) -> bool:
    """A fonte_data field must hold a date, or say openly that the source had none ("n.d.")."""
    return bool(newest_date(text)) or "n.d." in (text or "")


def phone_is_valid(text: str) -> bool:
    """Each ' | ' part holds one phone number: 3-4 digit short codes or 6-12 digit numbers."""
    for part in (text or "").split("|"):
        numbers = _PHONE.findall(re.sub(r"\([^)]*\)", "", part))  # "(attivo 24 ore su 24)" is a comment
        if len(numbers) != 1:
            return False
        digits = re.sub(r"\D", "", numbers[0])
        if not (len(digits) in (3, 4, 5, 6) and digits.startswith("1") or 6 <= len(digits) <= 12):
            return False
    return True


def _split(value: str) -> str:
    return "|".join(part.strip() for part in (value or "").split("|") if part.strip())


def _empty(value: Optional[str]) -> Optional[str]:
    value = (value or "").strip()
    return value or None


def parse_day(value: str):
    """'2026-11-25' (or '2026-11-25 14:03') -> datetime; None when empty or not a date."""
    value = (value or "").strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _maintenance(service: m.Service, row: Dict[str, str]) -> m.Service:
    """Optional columns written by the console's export (absent from the research seed)."""
    if (row.get("stato") or "").strip() == "chiuso" or (not row.get("stato") and _CLOSED_NOTE.search(row.get("note") or "")):
        service.chiuso_motivo = _empty(row.get("motivo_chiusura")) or "la fonte indica che il servizio è cessato o confluito (vedi note)"
    service.verificato_il = parse_day(row.get("verificato_il", ""))
    service.verificato_da = _empty(row.get("verificato_da"))
    return service


@dataclass
class Seed:
    comuni: List[m.Comune] = field(default_factory=list)
    italia: List[m.ComuneItalia] = field(default_factory=list)
    services: List[m.Service] = field(default_factory=list)
    coverage: List[m.Coverage] = field(default_factory=list)
    digest: str = ""


class _Reader:
    def __init__(self, seed_dir: Optional[Path] = None):
        self.seed_dir = seed_dir
        self.errors: List[str] = []
        self.lines: Dict[str, int] = {}  # service id -> line where its row starts

    def rows(self, name: str, required: List[str], text: Optional[str] = None):
        """(line, row) pairs; `line` is the physical line where the record starts (quoted fields may
        span lines). `text` replaces the file of that name (an upload)."""
        if text is None:
            path = self.seed_dir / name
            if not path.exists():
                self.errors.append(f"{name}: file mancante")
                return []
            text = path.read_text(encoding="utf-8")
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
        missing = [col for col in required if col not in (reader.fieldnames or [])]
        if missing:
            self.errors.append(f"{name}:1: mancano le colonne {missing}")
            return []
        out, end = [], reader.line_num
        for row in reader:
            if None in row:
                self.errors.append(f"{name}:{end + 1}: più valori che colonne")
            out.append((end + 1, {k: (v or "") for k, v in row.items() if k is not None}))
            if row.get("id"):
                self.lines.setdefault(row["id"].strip(), end + 1)
            end = reader.line_num
        return out

    def bad(self, name: str, line: int, reason: str) -> None:
        self.errors.append(f"{name}:{line}: {reason}")


def _check_service_row(r: _Reader, name: str, line: int, row: Dict[str, str], known: set,
                       phone_cols: List[str]) -> None:
    istat = (row.get("istat_comune") or row.get("istat_sede") or "").strip()
    if istat and istat not in known:
        r.bad(name, line, f"il codice ISTAT {istat!r} non è un comune del Piemonte")
    for col in phone_cols:
        if row.get(col) and not phone_is_valid(row[col]):
            r.bad(name, line, f"{col} {row[col]!r} non è un numero di telefono valido")
    if not (row.get("fonte_url") or "").strip():
        r.bad(name, line, "fonte_url è vuoto: ogni voce ha la sua fonte")
    if not date_is_valid(row.get("fonte_data", "")):
        r.bad(name, line, f"fonte_data {row.get('fonte_data')!r} non contiene una data e non dice n.d.")


def parse_centri(r: _Reader, seed: Seed, known: set, text: Optional[str] = None,
                 name: str = "centri_antiviolenza_piemonte.csv") -> None:
    for line, row in r.rows(name, ["id", "tipo", "nome", "istat_comune", "provincia", "fonte_url", "fonte_data"], text):
        if row["tipo"] not in CAV_TYPES:
            r.bad(name, line, f"tipo {row['tipo']!r} sconosciuto")
            continue
        _check_service_row(r, name, line, row, known, ["telefono", "telefono_h24", "numero_verde"])
        tipo, attivo = CAV_TYPES[row["tipo"]]
        shelter = tipo == m.CASA_RIFUGIO
        if shelter and (row.get("indirizzo") or "").strip().lower() not in SHELTER_ADDRESS:
            r.bad(name, line, "una casa rifugio non ha mai un indirizzo (solo vuoto o 'segreto')")
        seed.services.append(_maintenance(m.Service(
            id=row["id"], tipo=tipo, tipo_fonte=row["tipo"], attivo=attivo, nome=row["nome"].strip(),
            ente=_empty(row.get("ente_gestore")), istat_comune=_empty(row["istat_comune"]),
            provincia=_empty(row["provincia"]),
            indirizzo=None if shelter else _empty(row.get("indirizzo")),  # shelters: never stored
            telefoni=_empty(_split(row.get("telefono", ""))), telefono_h24=_empty(row.get("telefono_h24")),
            numero_verde=_empty(row.get("numero_verde")), email=_empty(row.get("email")),
            sito=_empty(row.get("sito")), orari=_empty(row.get("orari")), note=_empty(row.get("note")),
            fonte_url=row["fonte_url"].strip(), fonte_data=row["fonte_data"].strip(),
            data_fonte=newest_date(row["fonte_data"])), row))
        if not row["istat_comune"].strip() and row["provincia"] in PROVINCES and not shelter:
            # a centre named for a whole province (e.g. "del VCO") serves that province
            seed.coverage.append(m.Coverage(service_id=row["id"], provincia=row["provincia"],
                                            fonte_url=row["fonte_url"], fonte_data=row["fonte_data"]))


def parse_sociali(r: _Reader, seed: Seed, known: set, text: Optional[str] = None,
                  name: str = "servizi_sociali_piemonte.csv") -> set:
    enti = set()
    for line, row in r.rows(name, ["id", "denominazione", "istat_sede", "fonte_url", "fonte_data"], text):
        _check_service_row(r, name, line, row, known, ["telefono"])
        enti.add(row["id"])
        # "via X 1, 10100 Comune" when the source gives the CAP (the console's export writes it whole)
        cap = row.get("cap", "").strip()
        address = ", ".join(x for x in [row.get("indirizzo_sede", "").strip(),
                                        f"{cap} {row.get('comune_sede', '').strip()}".strip() if cap else ""] if x)
        seed.services.append(_maintenance(m.Service(
            id=row["id"], tipo=m.ENTE_GESTORE, tipo_fonte=_empty(row.get("tipo_ente")), attivo=True,
            nome=row["denominazione"].strip(), ente=_empty(row.get("acronimo")),
            istat_comune=_empty(row["istat_sede"]), provincia=_empty(row.get("provincia")),
            indirizzo=address if row.get("indirizzo_sede", "").strip() else None,
            telefoni=_empty(_split(row.get("telefono", ""))), email=_empty(row.get("email")),
            sito=_empty(row.get("sito")), note=_empty(row.get("note")),
            fonte_url=row["fonte_url"].strip(), fonte_data=row["fonte_data"].strip(),
            data_fonte=newest_date(row["fonte_data"])), row))
    return enti


def parse_enti_comuni(r: _Reader, seed: Seed, known: set, enti: set, text: Optional[str] = None,
                      name: str = "enti_gestori_comuni.csv") -> None:
    unnamed: Dict[str, m.Service] = {}
    for line, row in r.rows(name, ["istat_comune", "ente_gestore", "ente_gestore_id", "fonte_url", "fonte_data"], text):
        istat, ente_id = row["istat_comune"].strip(), row["ente_gestore_id"].strip()
        if istat not in known:
            r.bad(name, line, f"il codice ISTAT {istat!r} non è un comune del Piemonte")
            continue
        if not date_is_valid(row["fonte_data"]):
            r.bad(name, line, f"fonte_data {row['fonte_data']!r} non contiene una data e non dice n.d.")
        if ente_id and ente_id not in enti:
            r.bad(name, line, f"ente_gestore_id {ente_id!r} non è in servizi_sociali_piemonte.csv")
            continue
        if not ente_id:
            # The source names an ente that has no row of its own: keep its name, no contact is invented.
            key = "EG-" + hashlib.sha1(row["ente_gestore"].strip().encode()).hexdigest()[:8]
            if key not in unnamed:
                unnamed[key] = m.Service(id=key, tipo=m.ENTE_GESTORE, tipo_fonte="ente gestore (solo nome)",
                                         attivo=True, nome=row["ente_gestore"].strip(),
                                         fonte_url=row["fonte_url"].strip(), fonte_data=row["fonte_data"].strip(),
                                         data_fonte=newest_date(row["fonte_data"]))
            ente_id = key
        seed.coverage.append(m.Coverage(service_id=ente_id, istat_comune=istat, fonte_url=row["fonte_url"].strip(),
                                        fonte_data=row["fonte_data"].strip()))
    seed.services.extend(unnamed.values())


def parse_vittime(r: _Reader, seed: Seed, known: set, text: Optional[str] = None,
                  name: str = "servizi_vittime_piemonte.csv") -> None:
    for line, row in r.rows(name, ["id", "tipo", "nome", "istat_comune", "fonte_url", "fonte_data"], text):
        if row["tipo"] not in VICTIM_TYPES:
            r.bad(name, line, f"tipo {row['tipo']!r} sconosciuto")
            continue
        _check_service_row(r, name, line, row, known, ["telefono", "numero_verde"])
        seed.services.append(_maintenance(m.Service(
            id=row["id"], tipo=VICTIM_TYPES[row["tipo"]], tipo_fonte=row["tipo"], attivo=True,
            nome=row["nome"].strip(), ente=_empty(row.get("ente_gestore")),
            istat_comune=_empty(row["istat_comune"]), provincia=_empty(row.get("provincia")),
            indirizzo=_empty(row.get("indirizzo")), telefoni=_empty(_split(row.get("telefono", ""))),
            numero_verde=_empty(row.get("numero_verde")), email=_empty(row.get("email")),
            sito=_empty(row.get("sito")), orari=_empty(row.get("orari")), note=_empty(row.get("note")),
            fonte_url=row["fonte_url"].strip(), fonte_data=row["fonte_data"].strip(),
            data_fonte=newest_date(row["fonte_data"])), row))


def read_seed(seed_dir: Path = SEED_DIR) -> Seed:
    """Read and validate every seed file; raise SeedError listing all bad rows."""
    r = _Reader(seed_dir)
    seed = Seed()

    for line, row in r.rows("comuni_piemonte.csv", ["istat", "comune", "provincia", "lat", "lon", "cap"]):
        istat = row["istat"].strip()
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
        except ValueError:
            r.bad("comuni_piemonte.csv", line, "le coordinate non sono numeri")
            continue
        caps = _split(row["cap"])
        if not re.fullmatch(r"\d{6}", istat):
            r.bad("comuni_piemonte.csv", line, f"il codice ISTAT {istat!r} non ha 6 cifre")
        elif row["provincia"] not in PROVINCES:
            r.bad("comuni_piemonte.csv", line, f"la provincia {row['provincia']!r} non è del Piemonte")
        elif not (43.5 < lat < 46.6 and 6.5 < lon < 9.3):
            r.bad("comuni_piemonte.csv", line, "coordinate fuori dal Piemonte")
        elif not caps or not all(re.fullmatch(r"\d{5}", c) for c in caps.split("|")):
            r.bad("comuni_piemonte.csv", line, f"CAP {row['cap']!r} non è un elenco di codici di 5 cifre")
        else:
            seed.comuni.append(m.Comune(istat=istat, nome=row["comune"].strip(), provincia=row["provincia"],
                                        lat=lat, lon=lon, caps=caps,
                                        codice_catastale=_empty(row.get("codice_catastale"))))
    known = {c.istat for c in seed.comuni}
    if len(known) != len(seed.comuni):
        r.errors.append("comuni_piemonte.csv: codici ISTAT ripetuti")

    for line, row in r.rows("comuni_italia.csv", ["istat", "comune", "provincia", "regione"]):
        if not re.fullmatch(r"\d{6}", row["istat"]) or not row["regione"].strip():
            r.bad("comuni_italia.csv", line, "manca il codice ISTAT o la regione")
            continue
        seed.italia.append(m.ComuneItalia(istat=row["istat"], nome=row["comune"].strip(),
                                          provincia=row["provincia"], regione=row["regione"].strip()))

    parse_centri(r, seed, known)
    enti = parse_sociali(r, seed, known)
    parse_enti_comuni(r, seed, known, enti)
    parse_vittime(r, seed, known)

    name = "numeri_nazionali.csv"
    for line, row in r.rows(name, ["numero", "servizio", "fonte_url", "fonte_data"]):
        if not phone_is_valid(row["numero"]):
            r.bad(name, line, f"numero {row['numero']!r} non è un numero di telefono valido")
        if not date_is_valid(row["fonte_data"]):
            r.bad(name, line, f"fonte_data {row['fonte_data']!r} non contiene una data e non dice n.d.")
        seed.services.append(m.Service(
            id="N-" + re.sub(r"\D", "", row["numero"]), tipo=m.LINEA_NAZIONALE, attivo=True,
            nome=row["servizio"].strip(), ente=_empty(row.get("gestore")), telefoni=row["numero"].strip(),
            orari=_empty(row.get("disponibilita")), note=_empty(row.get("descrizione")),
            fonte_url=row["fonte_url"].strip(), fonte_data=row["fonte_data"].strip(),
            data_fonte=newest_date(row["fonte_data"])))

    ids = [s.id for s in seed.services]
    if len(ids) != len(set(ids)):
        r.errors.append("id di servizio ripetuti tra i file")
    if r.errors:
        raise SeedError(r.errors)
    seed.digest = seed_digest(seed_dir)
    return seed


def seed_digest(seed_dir: Path = SEED_DIR) -> str:
    digest = hashlib.sha256()
    for name in SEED_FILES:
        path = seed_dir / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def ensure_schema(url: Optional[str] = None) -> None:
    """Create missing tables, and add the maintenance columns to a `services` table made by an older
    version (embedded SQLite set-ups are not migrated with Alembic; all new columns are nullable)."""
    engine = db.engine(url)
    m.Base.metadata.create_all(engine)
    have = {col["name"] for col in inspect(engine).get_columns("services")}
    with engine.begin() as conn:
        for column in m.Service.__table__.columns:
            if column.name not in have:
                kind = column.type.compile(dialect=engine.dialect)
                conn.execute(text(f"ALTER TABLE services ADD COLUMN {column.name} {kind}"))


def loaded_digest(url: Optional[str] = None) -> Optional[str]:
    ensure_schema(url)
    with db.session_scope(url) as session:
        row = session.get(m.Meta, "seed_hash")
        return row.value if row else None


def was_edited(url: Optional[str] = None) -> bool:
    """True once anyone changed the directory after the seed load (console or import)."""
    ensure_schema(url)
    with db.session_scope(url) as session:
        return session.get(m.Meta, "edited") is not None


def bump_version(session) -> int:
    """Mark the directory as changed (in the caller's transaction): every process reloads it."""
    row = session.get(m.Meta, "version")
    if row is None:
        row = m.Meta(key="version", value="0")
        session.add(row)
    row.value = str(int(row.value) + 1)
    return int(row.value)


def load(url: Optional[str] = None, seed_dir: Path = SEED_DIR, if_changed: bool = False) -> Dict[str, int]:
    """Replace the directory with the seed, in one transaction. Returns counts per table.

    With `if_changed` (what `make run` does) the seed is loaded only on first set-up, or when the seed
    changed and nobody has edited the directory yet: once edited, the database is the source of truth
    and a new seed comes in only through an explicit import with a diff preview. Returns
    {"kept_edits": 1} when a changed seed was not loaded for that reason."""
    if if_changed:
        digest = loaded_digest(url)
        if digest == seed_digest(seed_dir):
            return {}
        if digest is not None and was_edited(url):
            return {"kept_edits": 1}
    seed = read_seed(seed_dir)
    ensure_schema(url)
    with db.session_scope(url) as session:
        old_version = session.get(m.Meta, "version")
        version = int(old_version.value) if old_version else 0
        for model in (m.Coverage, m.Service, m.ComuneItalia, m.Comune, m.Meta):
            session.execute(delete(model))
        session.flush()
        session.add_all(seed.comuni)
        session.add_all(seed.italia)
        session.flush()
        session.add_all(seed.services)
        session.flush()
        session.add_all(seed.coverage)
        session.add(m.Meta(key="seed_hash", value=seed.digest))
        session.add(m.Meta(key="version", value=str(version + 1)))
    return {"comuni": len(seed.comuni), "comuni_italia": len(seed.italia),
            "services": len(seed.services), "coverage": len(seed.coverage)}


def counts(url: Optional[str] = None) -> Dict[str, int]:
    with db.session_scope(url) as session:
        return {model.__tablename__: len(session.execute(select(model)).scalars().all())
                for model in (m.Comune, m.ComuneItalia, m.Service, m.Coverage)}
