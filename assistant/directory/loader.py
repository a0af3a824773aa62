"""Validate the seed CSVs in data/directory and load them into the directory database.

Every file is read and checked before anything is written; one bad row stops the load and is
reported with its file, line and reason, so the database never holds half a file. The load itself
is one transaction. Each file has a row model (a dataclass declaring its columns, its checks and the
rows it makes) and a small parser; the console's import reuses the parsers of the three service files.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import ClassVar, Dict, List, Optional, Set, Tuple, Type, TypeVar

from sqlalchemy import delete, select

from assistant import db
from assistant.directory import models as m
from assistant.migrations import ensure_schema
from assistant.settings import PROJECT_ROOT

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
VICTIM_TYPES = {
    "assistenza_vittime_reato": m.SUPPORTO_VITTIME,
    "antitratta": m.ANTITRATTA,
    "antitratta_rete_locale": m.ANTITRATTA,
}

SHELTER_ADDRESS = {"", "segreto", "indirizzo segreto"}
# A row whose note says the service ceased or merged is kept (history) but loaded as closed.
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


def split_list(value: str) -> str:
    """' | '-separated parts as stored: "a | b" -> "a|b" (empty parts dropped)."""
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


# Row models: one dataclass per CSV, one field per column read. A field without a default is a
# required column (a file without it is refused at line 1); cells are read stripped of spaces.


@dataclass(frozen=True, kw_only=True)
class _Row:
    @classmethod
    def required(cls) -> List[str]:
        return [f.name for f in fields(cls) if f.default is MISSING]

    @classmethod
    def of(cls, cells: Dict[str, str]):
        return cls(**{f.name: (cells.get(f.name) or "").strip() for f in fields(cls)})


@dataclass(frozen=True, kw_only=True)
class _Sourced(_Row):
    """Every entry carries the source that says so: `fonte_url` and `fonte_data` (the source's dates as
    written, newest first, ' | '-separated)."""

    fonte_url: str
    fonte_data: str

    def date_problem(self) -> List[str]:
        if date_is_valid(self.fonte_data):
            return []
        return [f"fonte_data {self.fonte_data!r} non contiene una data e non dice n.d."]

    def source(self) -> Dict[str, Optional[str]]:
        """The source columns of a Service."""
        return {
            "fonte_url": self.fonte_url,
            "fonte_data": self.fonte_data,
            "fonte_data_recente": newest_date(self.fonte_data),
        }


@dataclass(frozen=True, kw_only=True)
class _ServiceRow(_Sourced):
    """A service of one of the three service files, with the optional columns of the console's export."""

    PHONES: ClassVar[Tuple[str, ...]] = ("telefono",)
    ISTAT: ClassVar[str] = "istat_comune"  # the column with the comune's ISTAT code
    id: str
    telefono: str = ""
    email: str = ""
    sito: str = ""
    note: str = ""
    stato: str = ""
    motivo_chiusura: str = ""
    verificato_il: str = ""
    verificato_da: str = ""

    def problems(self, known: Set[str]) -> List[str]:
        out = []
        istat = getattr(self, self.ISTAT)
        if istat and istat not in known:
            out.append(f"il codice ISTAT {istat!r} non è un comune del Piemonte")
        for col in self.PHONES:
            value = getattr(self, col)
            if value and not phone_is_valid(value):
                out.append(f"{col} {value!r} non è un numero di telefono valido")
        if not self.fonte_url:
            out.append("fonte_url è vuoto: ogni voce ha la sua fonte")
        return out + self.date_problem()

    def common(self) -> Dict[str, object]:
        """The Service columns every service file fills the same way."""
        closed = self.stato == "chiuso" or (not self.stato and _CLOSED_NOTE.search(self.note))
        reason = (
            _empty(self.motivo_chiusura) or "la fonte indica che il servizio è cessato o confluito (vedi note)"
            if closed
            else None
        )
        return {
            "id": self.id,
            "istat_comune": _empty(getattr(self, self.ISTAT)),
            "telefoni": _empty(split_list(self.telefono)),
            "email": _empty(self.email),
            "sito": _empty(self.sito),
            "note": _empty(self.note),
            **self.source(),
            # maintenance: a row whose stato is "chiuso" (console export) or, without a stato, whose
            # note says the service ceased or merged is kept (history) but loaded as closed
            "chiuso_motivo": reason,
            "verificato_il": parse_day(self.verificato_il),
            "verificato_da": _empty(self.verificato_da),
        }


@dataclass(frozen=True, kw_only=True)
class _PlaceRow(_ServiceRow):
    """The columns that centri and victim services share."""

    tipo: str
    nome: str
    istat_comune: str
    provincia: str = ""
    ente_gestore: str = ""
    indirizzo: str = ""
    numero_verde: str = ""
    orari: str = ""

    def common(self) -> Dict[str, object]:
        return {
            **super().common(),
            "nome": self.nome,
            "tipo_fonte": self.tipo,
            "ente": _empty(self.ente_gestore),
            "provincia": _empty(self.provincia),
            "numero_verde": _empty(self.numero_verde),
            "orari": _empty(self.orari),
        }


@dataclass(frozen=True, kw_only=True)
class CentroRow(_PlaceRow):
    """centri_antiviolenza_piemonte.csv: centres, help desks and shelters."""

    PHONES: ClassVar[Tuple[str, ...]] = ("telefono", "telefono_h24", "numero_verde")
    provincia: str = field()  # required in this file
    telefono_h24: str = ""

    @property
    def shelter(self) -> bool:
        return CAV_TYPES[self.tipo][0] == m.CASA_RIFUGIO

    def problems(self, known: Set[str]) -> List[str]:
        out = super().problems(known)
        if self.shelter and self.indirizzo.lower() not in SHELTER_ADDRESS:
            out.append("una casa rifugio non ha mai un indirizzo (solo vuoto o 'segreto')")
        return out

    def service(self) -> m.Service:
        tipo, attivo = CAV_TYPES[self.tipo]
        return m.Service(
            tipo=tipo,
            attivo=attivo,
            telefono_h24=_empty(self.telefono_h24),
            indirizzo=None if self.shelter else _empty(self.indirizzo),  # shelters: never stored
            **self.common(),
        )

    def province_coverage(self) -> Optional[m.Coverage]:
        """A centre named for a whole province (e.g. "del VCO", no comune) serves that province."""
        if self.istat_comune or self.provincia not in PROVINCES or self.shelter:
            return None
        return m.Coverage(
            service_id=self.id, provincia=self.provincia, fonte_url=self.fonte_url, fonte_data=self.fonte_data
        )


@dataclass(frozen=True, kw_only=True)
class VittimeRow(_PlaceRow):
    """servizi_vittime_piemonte.csv: victim support and anti-trafficking services."""

    PHONES: ClassVar[Tuple[str, ...]] = ("telefono", "numero_verde")

    def service(self) -> m.Service:
        return m.Service(tipo=VICTIM_TYPES[self.tipo], attivo=True, indirizzo=_empty(self.indirizzo), **self.common())


@dataclass(frozen=True, kw_only=True)
class SocialeRow(_ServiceRow):
    """servizi_sociali_piemonte.csv: the enti gestori of the social services."""

    ISTAT: ClassVar[str] = "istat_sede"
    denominazione: str
    istat_sede: str
    acronimo: str = ""
    tipo_ente: str = ""
    provincia: str = ""
    indirizzo_sede: str = ""
    comune_sede: str = ""
    cap: str = ""

    def address(self) -> Optional[str]:
        """ "via X 1, 10100 Comune" when the source gives the CAP (the console's export writes it whole)."""
        if not self.indirizzo_sede:
            return None
        town = f"{self.cap} {self.comune_sede}".strip() if self.cap else ""
        return ", ".join(x for x in [self.indirizzo_sede, town] if x)

    def service(self) -> m.Service:
        return m.Service(
            tipo=m.ENTE_GESTORE,
            tipo_fonte=_empty(self.tipo_ente),
            attivo=True,
            nome=self.denominazione,
            ente=_empty(self.acronimo),
            provincia=_empty(self.provincia),
            indirizzo=self.address(),
            **self.common(),
        )


@dataclass(frozen=True, kw_only=True)
class EnteComuneRow(_Sourced):
    """enti_gestori_comuni.csv: which ente gestore serves each comune."""

    istat_comune: str
    ente_gestore: str
    ente_gestore_id: str

    def unnamed_ente(self) -> m.Service:
        """The source names an ente that has no row of its own: keep its name, no contact is invented."""
        key = "EG-" + hashlib.sha1(self.ente_gestore.encode()).hexdigest()[:8]
        return m.Service(
            id=key,
            tipo=m.ENTE_GESTORE,
            tipo_fonte="ente gestore (solo nome)",
            attivo=True,
            nome=self.ente_gestore,
            **self.source(),
        )

    def coverage(self, service_id: str) -> m.Coverage:
        return m.Coverage(
            service_id=service_id, istat_comune=self.istat_comune, fonte_url=self.fonte_url, fonte_data=self.fonte_data
        )


@dataclass(frozen=True, kw_only=True)
class NumeroRow(_Sourced):
    """numeri_nazionali.csv: national help lines."""

    numero: str
    servizio: str
    gestore: str = ""
    disponibilita: str = ""
    descrizione: str = ""

    def problems(self) -> List[str]:
        phone = [] if phone_is_valid(self.numero) else [f"numero {self.numero!r} non è un numero di telefono valido"]
        return phone + self.date_problem()

    def service(self) -> m.Service:
        return m.Service(
            id="N-" + re.sub(r"\D", "", self.numero),
            tipo=m.LINEA_NAZIONALE,
            attivo=True,
            nome=self.servizio,
            ente=_empty(self.gestore),
            telefoni=self.numero,
            orari=_empty(self.disponibilita),
            note=_empty(self.descrizione),
            **self.source(),
        )


@dataclass(frozen=True, kw_only=True)
class ComuneRow(_Row):
    """comuni_piemonte.csv: the comuni of Piemonte with their coordinates and CAPs."""

    istat: str
    comune: str
    provincia: str
    lat: str
    lon: str
    cap: str
    codice_catastale: str = ""

    def problem(self) -> Optional[str]:
        """The first thing wrong with the row, if any."""
        try:
            lat, lon = float(self.lat), float(self.lon)
        except ValueError:
            return "le coordinate non sono numeri"
        caps = split_list(self.cap)
        if not re.fullmatch(r"\d{6}", self.istat):
            return f"il codice ISTAT {self.istat!r} non ha 6 cifre"
        if self.provincia not in PROVINCES:
            return f"la provincia {self.provincia!r} non è del Piemonte"
        if not (43.5 < lat < 46.6 and 6.5 < lon < 9.3):
            return "coordinate fuori dal Piemonte"
        if not caps or not all(re.fullmatch(r"\d{5}", c) for c in caps.split("|")):
            return f"CAP {self.cap!r} non è un elenco di codici di 5 cifre"
        return None

    def comune_model(self) -> m.Comune:
        return m.Comune(
            istat=self.istat,
            nome=self.comune,
            provincia=self.provincia,
            lat=float(self.lat),
            lon=float(self.lon),
            caps=split_list(self.cap),
            codice_catastale=_empty(self.codice_catastale),
        )


@dataclass(frozen=True, kw_only=True)
class ComuneItaliaRow(_Row):
    """comuni_italia.csv: every Italian comune, to recognise places outside Piemonte."""

    istat: str
    comune: str
    provincia: str
    regione: str

    def comune_model(self) -> m.ComuneItalia:
        return m.ComuneItalia(istat=self.istat, nome=self.comune, provincia=self.provincia, regione=self.regione)


@dataclass
class Seed:
    comuni: List[m.Comune] = field(default_factory=list)
    italia: List[m.ComuneItalia] = field(default_factory=list)
    services: List[m.Service] = field(default_factory=list)
    coverage: List[m.Coverage] = field(default_factory=list)
    digest: str = ""


RowT = TypeVar("RowT", bound=_Row)


class Reader:
    """Reads seed files and collects every bad row as "file:line: reason"."""

    def __init__(self, seed_dir: Optional[Path] = None):
        self.seed_dir = seed_dir
        self.errors: List[str] = []
        self.lines: Dict[str, int] = {}  # service id -> line where its row starts

    def rows(self, name: str, required: List[str], text: Optional[str] = None):
        """(line, row) pairs; `line` is the physical line where the record starts (quoted fields may
        span lines). `text` replaces the file of that name (an upload)."""
        if text is None:
            assert self.seed_dir is not None, "a file is read only from a seed folder"
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

    def records(self, name: str, model: Type[RowT], text: Optional[str] = None) -> List[Tuple[int, RowT]]:
        """(line, row model) pairs of one file."""
        return [(line, model.of(row)) for line, row in self.rows(name, model.required(), text)]

    def bad(self, name: str, line: int, *reasons: str) -> None:
        self.errors.extend(f"{name}:{line}: {reason}" for reason in reasons)


# One parser per file. A row whose type is unknown, or whose comune or ente does not exist, builds
# nothing; any other bad row is reported and still built, so that an import's preview shows it.


def parse_comuni(r: Reader, seed: Seed, name: str = "comuni_piemonte.csv") -> Set[str]:
    """The comuni of Piemonte; returns their ISTAT codes."""
    for line, row in r.records(name, ComuneRow):
        problem = row.problem()
        if problem:
            r.bad(name, line, problem)
        else:
            seed.comuni.append(row.comune_model())
    known = {c.istat for c in seed.comuni}
    if len(known) != len(seed.comuni):
        r.errors.append(f"{name}: codici ISTAT ripetuti")
    return known


def parse_italia(r: Reader, seed: Seed, name: str = "comuni_italia.csv") -> None:
    for line, row in r.records(name, ComuneItaliaRow):
        if not re.fullmatch(r"\d{6}", row.istat) or not row.regione:
            r.bad(name, line, "manca il codice ISTAT o la regione")
        else:
            seed.italia.append(row.comune_model())


def parse_centri(
    r: Reader, seed: Seed, known: Set[str], text: Optional[str] = None, name: str = "centri_antiviolenza_piemonte.csv"
) -> None:
    for line, row in r.records(name, CentroRow, text):
        if row.tipo not in CAV_TYPES:
            r.bad(name, line, f"tipo {row.tipo!r} sconosciuto")
            continue
        r.bad(name, line, *row.problems(known))
        seed.services.append(row.service())
        coverage = row.province_coverage()
        if coverage is not None:
            seed.coverage.append(coverage)


def parse_sociali(
    r: Reader, seed: Seed, known: Set[str], text: Optional[str] = None, name: str = "servizi_sociali_piemonte.csv"
) -> Set[str]:
    """The enti gestori; returns their ids."""
    enti = set()
    for line, row in r.records(name, SocialeRow, text):
        r.bad(name, line, *row.problems(known))
        enti.add(row.id)
        seed.services.append(row.service())
    return enti


def parse_enti_comuni(
    r: Reader,
    seed: Seed,
    known: Set[str],
    enti: Set[str],
    text: Optional[str] = None,
    name: str = "enti_gestori_comuni.csv",
) -> None:
    unnamed: Dict[str, m.Service] = {}
    for line, row in r.records(name, EnteComuneRow, text):
        if row.istat_comune not in known:
            r.bad(name, line, f"il codice ISTAT {row.istat_comune!r} non è un comune del Piemonte")
            continue
        r.bad(name, line, *row.date_problem())
        if row.ente_gestore_id and row.ente_gestore_id not in enti:
            r.bad(name, line, f"ente_gestore_id {row.ente_gestore_id!r} non è in servizi_sociali_piemonte.csv")
            continue
        ente_id = row.ente_gestore_id
        if not ente_id:
            ente = row.unnamed_ente()
            ente_id = unnamed.setdefault(ente.id, ente).id
        seed.coverage.append(row.coverage(ente_id))
    seed.services.extend(unnamed.values())


def parse_vittime(
    r: Reader, seed: Seed, known: Set[str], text: Optional[str] = None, name: str = "servizi_vittime_piemonte.csv"
) -> None:
    for line, row in r.records(name, VittimeRow, text):
        if row.tipo not in VICTIM_TYPES:
            r.bad(name, line, f"tipo {row.tipo!r} sconosciuto")
            continue
        r.bad(name, line, *row.problems(known))
        seed.services.append(row.service())


def parse_numeri(r: Reader, seed: Seed, name: str = "numeri_nazionali.csv") -> None:
    for line, row in r.records(name, NumeroRow):
        r.bad(name, line, *row.problems())
        seed.services.append(row.service())


def read_seed(seed_dir: Path = SEED_DIR) -> Seed:
    """Read and validate every seed file; raise SeedError listing all bad rows."""
    r = Reader(seed_dir)
    seed = Seed()
    known = parse_comuni(r, seed)
    parse_italia(r, seed)
    parse_centri(r, seed, known)
    parse_enti_comuni(r, seed, known, parse_sociali(r, seed, known))
    parse_vittime(r, seed, known)
    parse_numeri(r, seed)
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
    return {
        "comuni": len(seed.comuni),
        "comuni_italia": len(seed.italia),
        "services": len(seed.services),
        "coverage": len(seed.coverage),
    }


def counts(url: Optional[str] = None) -> Dict[str, int]:
    with db.session_scope(url) as session:
        return {
            model.__tablename__: len(session.execute(select(model)).scalars().all())
            for model in (m.Comune, m.ComuneItalia, m.Service, m.Coverage)
        }
