"""Turn what a person writes ("Mondovi", "S. Giorgio", "12042", "Casle Monferato") into a comune.

Statuses: ``found`` (one comune of Piemonte), ``ambiguous`` (several: ask, with candidates as
buttons), ``outside`` (an Italian comune outside Piemonte, with its region), ``unknown``.
A misspelling is accepted only when it is close to exactly one comune; otherwise the candidates are
offered, so a wrong comune is never picked silently.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import select

from assistant import db
from assistant.directory import models as m
from assistant.settings import PROJECT_ROOT
from assistant.text import normalise

# GeoNames places over 1,000 inhabitants that are not comuni (frazioni, old comuni): coordinates only.
LOCALITIES_FILE = PROJECT_ROOT / "data" / "directory" / "localita_piemonte.csv"

FOUND, AMBIGUOUS, OUTSIDE, UNKNOWN = "found", "ambiguous", "outside", "unknown"

# Fuzzy matching (edit distance with transpositions): a misspelling is accepted only when exactly
# one comune is closest, within MAX_EDITS (1 for names under LONG_NAME letters), and no other comune
# is nearly as close; otherwise the close ones are offered as a question.
MAX_EDITS = 2
LONG_NAME = 8
RIVAL_MARGIN = 0.1  # another comune this close in similarity (0-1) makes it a question
MIN_FUZZY_LENGTH = 5
MAX_CANDIDATES = 6

_LEADING_CUES = re.compile(
    r"^(?:(?:io |noi )?(?:abito|abitiamo|vivo|viviamo|risiedo|resido|sto|stiamo|sono|siamo|lavoro|"
    r"mi trovo|ci troviamo)\s+)?(?:(?:nel |il )?comune di |in provincia di |a |ad |in |di |da |"
    r"vicino a |vicino ad |presso |zona |dalle parti di |nei pressi di )?"
)
_SAINT = re.compile(r"^(san|santo|santa|sant|s)\s")
_PROVINCES = {"to", "cn", "al", "at", "no", "vc", "bi", "vb"}
# Comuni whose name is also an everyday word: found in free text only right after a place cue.
_COMMON_WORDS = {
    "re",
    "sale",
    "lu",
    "pace",
    "casa",
    "villa",
    "bosco",
    "campo",
    "fine",
    "ala",
    "vico",
    "sala",
    "torre",
    "ronco",
    "lesa",
    "mese",
    "bene",
    "rosta",
    "paesana",
    "prato",
    "borgo",
    "monte",
    "piano",
    "valle",
    "rocca",
    "cervo",
    "pino",
    "castello",
    "oggi",
    "orta",
}
# ... and these, which are Italian words or first names too (the lemma list of spacy-lookups-data adds more).
_COMMON_WORDS |= {
    "vita",
    "paese",
    "parenti",
    "bruno",
    "viola",
    "alto",
    "canale",
    "cavour",
    "sale",
    "re",
    "lu",
    "pace",
    "rosa",
    "nucetto",
    "none",
    "piscina",
    "porte",
    "grosso",
    "scopa",
    "mango",
    "piatto",
    "camino",
    "villette",
    "premia",
    "sostegno",
    "ponti",
    "molare",
    "macello",
    "maglione",
    "busca",
    "alba",
    "asti",
    "cuneo",
    "valenza",
    "trino",
    "rivoli",
    "terzo",
    "visone",
    "donato",
    "novello",
    "lenta",
    "pila",
    "rive",
    "rossa",
    "monta",
    "moretta",
    "borgo",
    "villa",
    "piazza",
    "riva",
    "chiesa",
    "frazione chiesa",
    "ricca",
    "lei",
    "ora",
    "nove",
    "campagna",
    "prato",
    "rosta",
    "bene",
    "tetti",
    "crava",
    "bandito",
    "pasta",
    "fornaci",
    "serre",
    "sabbia",
    "staffa",
    "rima",
    "grana",
    "camo",
    "breo",
    "garino",
    "marocchi",
    "valentino",
    "lesna",
    "casale",
    "intra",
    "san giorgio",
    "san lorenzo",
    "san rocco",
    "san giuseppe",
    "san maurizio",
    "la villa",
    "madonna",
}


@lru_cache(maxsize=None)
def _italian_words() -> frozenset:
    """Italian word forms and lemmas (spacy-lookups-data, MIT); empty when the package is missing."""
    try:
        import gzip
        import json
        import os

        import spacy_lookups_data

        path = os.path.join(os.path.dirname(spacy_lookups_data.__file__), "data", "it_lemma_lookup.json.gz")
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            table = json.load(handle)
        words = frozenset(table) | frozenset(table.values())
    except (ImportError, OSError, ValueError):
        words = frozenset()
    try:
        from spacy.lang.it.stop_words import STOP_WORDS
    except ImportError:
        STOP_WORDS = set()
    return words | frozenset(normalise(w) for w in STOP_WORDS)


def common_words(names) -> frozenset:
    """Names of places that are also everyday words: found in a sentence only with a place cue."""
    words = _italian_words()
    return frozenset(
        n for n in names if n not in _CAPITALS and (n in _COMMON_WORDS or len(n) <= 2 or (" " not in n and n in words))
    )


# The provincial capitals of Piemonte are always places, even where the word means something else.
_CAPITALS = {"torino", "cuneo", "asti", "alessandria", "novara", "vercelli", "biella", "verbania"}


@dataclass
class Resolution:
    status: str
    query: str
    comune: Optional[Dict] = None
    candidates: List[Dict] = field(default_factory=list)
    region: Optional[str] = None
    via: Optional[str] = None
    locality: Optional[Dict] = None  # a locality named instead of a comune: its name, province, coordinates

    def to_dict(self) -> Dict:
        return {
            "status": self.status,
            "query": self.query,
            "comune": self.comune,
            "candidates": self.candidates,
            "region": self.region,
            "via": self.via,
            "locality": self.locality,
        }


def _saint_forms(key: str) -> List[str]:
    """'san giorgio canavese' is also reachable as 's giorgio canavese'."""
    match = _SAINT.match(key)
    return [key, "s " + key[match.end() :]] if match and match.group(1) != "s" else [key]


class ComuneIndex:
    """In-memory index of the comuni, built once from the directory database."""

    def __init__(
        self,
        comuni: List[Tuple[str, str, str, str]],
        italia: List[Tuple[str, str, str, str]],
        coords: Optional[Dict[str, Tuple[float, float]]] = None,
        localities: Optional[List[Dict]] = None,
    ):
        # comuni: (istat, nome, provincia, caps); italia: (istat, nome, provincia, regione);
        # coords: istat -> (lat, lon); localities: rows of data/directory/localita_piemonte.csv
        self.coords = coords or {}
        self.by_istat: Dict[str, Dict] = {}
        self.exact: Dict[str, List[str]] = {}
        self.caps: Dict[str, List[str]] = {}
        for istat, nome, provincia, caps in comuni:
            self.by_istat[istat] = {"istat": istat, "nome": nome, "provincia": provincia}
            for key in _saint_forms(normalise(nome)):
                self.exact.setdefault(key, []).append(istat)
            for cap in caps.split("|"):
                self.caps.setdefault(cap, []).append(istat)
        self.keys = sorted(self.exact)
        self.fuzzy_keys = [k for k in self.keys if not k.startswith("s ")]
        self.by_start: Dict[str, List[Tuple[str, List[str]]]] = {}  # first 3 letters -> (name, words)
        for name in self.keys:
            self.by_start.setdefault(name[:3], []).append((name, name.split()))
        self.outside: Dict[str, List[Dict]] = {}
        for istat, nome, provincia, regione in italia:
            if istat in self.by_istat:
                continue
            self.outside.setdefault(normalise(nome), []).append(
                {"istat": istat, "nome": nome, "provincia": provincia, "regione": regione}
            )
        self.localities: Dict[str, Dict] = {}
        # a locality named like the start of a comune ("Casale", "Agliano") is left to the comuni
        starts = {" ".join(name.split()[:n]) for name in self.exact for n in range(1, len(name.split()))}
        for row in localities or []:
            place = {
                "nome": row["nome"],
                "provincia": row["provincia"],
                "lat": float(row["lat"]),
                "lon": float(row["lon"]),
            }
            names = [row["nome"]] + [part for part in re.split(r"\s*-\s*", row["nome"]) if part != row["nome"]]
            for name in names:
                key = normalise(name)
                if key and key not in self.exact and key not in self.localities and key not in starts:
                    self.localities[key] = place
        self.common = common_words(set(self.exact) | set(self.outside) | set(self.localities))

    # -- lookup helpers -------------------------------------------------------------------------
    def _comuni(self, istats: List[str], province: Optional[str] = None) -> List[Dict]:
        seen, out = set(), []
        for istat in istats:
            c = self.by_istat[istat]
            if istat in seen or (province and c["provincia"].lower() != province):
                continue
            seen.add(istat)
            out.append(c)
        return sorted(out, key=lambda c: c["nome"])

    def _result(self, query: str, comuni: List[Dict], via: str) -> Resolution:
        if len(comuni) == 1:
            return Resolution(FOUND, query, comune=comuni[0], candidates=[], via=via)
        return Resolution(AMBIGUOUS, query, candidates=comuni[:MAX_CANDIDATES], via=via)

    def _prefix(self, key: str) -> List[str]:
        """Comuni whose name starts with the typed words ('casale' -> Casale Monferrato, ...)."""
        words = key.split()
        whole, partial = [], []
        if len(key) < 3:
            return []
        for name, parts in self.by_start.get(key[:3], []):
            if len(parts) <= len(words) or parts[: len(words) - 1] != words[:-1]:
                continue
            if parts[len(words) - 1] == words[-1]:
                whole.extend(self.exact[name])
            elif parts[len(words) - 1].startswith(words[-1]) and len(words[-1]) >= 3:
                partial.extend(self.exact[name])
        return whole or partial

    # -- public API ---------------------------------------------------------------------------
    def resolve(self, text: str) -> Resolution:
        query = (text or "").strip()
        key = _LEADING_CUES.sub("", normalise(query)).strip()
        province = None
        parts = key.split()
        if len(parts) > 1 and parts[-1] in _PROVINCES:
            province, key = parts[-1], " ".join(parts[:-1])
        key = re.sub(r"^(?:la |il |lo |l )", "", key) if key not in self.exact else key
        if not key:
            return Resolution(UNKNOWN, query)

        if re.fullmatch(r"\d{5}", key):
            istats = self.caps.get(key, [])
            return self._result(query, self._comuni(istats), "cap") if istats else Resolution(UNKNOWN, query, via="cap")

        if key in self.exact:
            comuni = self._comuni(self.exact[key], province) or self._comuni(self.exact[key])
            return self._result(query, comuni, "exact")

        if key in self.outside:
            places = self.outside[key]
            regions = sorted({p["regione"] for p in places})
            return Resolution(
                OUTSIDE, query, candidates=places[:MAX_CANDIDATES], region=", ".join(regions), via="exact"
            )

        if key in self.localities:  # "Intra", "Spinetta Marengo": a place that is not a comune
            return self._locality(key)
        if len(key.split()) > 5:  # a sentence is never a comune (find_in_text looks inside it)
            return Resolution(UNKNOWN, query)

        prefixed = self._comuni(self._prefix(key), province)
        if len(prefixed) == 1 and len(key) >= MIN_FUZZY_LENGTH:
            # "agliano" is short for Agliano Terme, but also one letter away from Igliano: ask.
            close = [i for name, _ in self._neighbours(key, 1) for i in self.exact[name]]
            prefixed = self._comuni(self._prefix(key) + close, province)
        if prefixed:
            return self._result(query, prefixed, "prefix")

        if len(key) >= MIN_FUZZY_LENGTH:
            return self._fuzzy(query, key, province)
        return Resolution(UNKNOWN, query)

    def _neighbours(self, key: str, max_distance: int) -> List[Tuple[str, int]]:
        return [
            (name, int(dist))
            for name, dist, _ in process.extract(
                key, self.fuzzy_keys, scorer=OSA.distance, limit=8, score_cutoff=max_distance
            )
        ]

    def _fuzzy(self, query: str, key: str, province: Optional[str]) -> Resolution:
        allowed = MAX_EDITS if len(key) >= LONG_NAME else 1
        scored = self._neighbours(key, allowed + 1)
        if not scored:
            return Resolution(UNKNOWN, query, via="fuzzy")

        def similarity(name: str, dist: int) -> float:
            return 1 - dist / max(len(name), len(key))

        top = max(similarity(name, dist) for name, dist in scored)
        best_name, best = max(scored, key=lambda item: similarity(*item))
        rivals = [name for name, dist in scored if name != best_name and similarity(name, dist) >= top - RIVAL_MARGIN]
        if best <= allowed and not rivals:
            comuni = self._comuni(self.exact[best_name], province) or self._comuni(self.exact[best_name])
            return self._result(query, comuni, "fuzzy")
        istats = [
            i for name, dist in scored if similarity(name, dist) >= top - 2 * RIVAL_MARGIN for i in self.exact[name]
        ]
        return Resolution(
            AMBIGUOUS,
            query,
            candidates=self._comuni(istats, province)[:MAX_CANDIDATES] or self._comuni(istats)[:MAX_CANDIDATES],
            via="fuzzy",
        )

    def find_in_text(self, text: str) -> Optional[Resolution]:
        """A comune named anywhere in a message ("mi picchia, abito a Casale Monferrato",
        "Tortona, te l'ho già detto", "a una festa a Bra ..."), or None.

        Every span of up to six words that is the exact name of a comune (any case or accents), of a
        place outside Piemonte or of a locality (data/directory/localita_piemonte.csv) is a candidate.
        Names that are also ordinary words (Re, Sale, Vita, Paese, Bruno, Viola, Cavour...) count only
        with a place cue before them ("a", "di", "abito a", "zona") or a place context after them
        ("(AL)", ", provincia di ...", ", in valle"), or as the whole first part of the message.
        "provincia di X" names a province, never the answer. A misspelling is accepted only right after
        a place cue or as the whole first part of the message, and only when resolve() finds exactly
        one comune. Among several places: a comune of Piemonte first, then the place where the person
        says they live ("vivo a"), then the first named."""
        raw = (text or "").strip()
        if not raw:
            return None
        plain = normalise(raw)
        cap = re.search(r"\b(1[0-5]\d{3}|28\d{3})\b", plain)
        if cap and cap.group(1) in self.caps:
            return self.resolve(cap.group(1))
        segments = [normalise(part).split() for part in _SEGMENTS.split(raw)]
        tokens: List[str] = []
        starts = set()
        for words in segments:
            if words:
                starts.add(len(tokens))
                tokens.extend(words)
        first_segment = next((w for w in segments if w), [])
        candidates: List[Tuple[int, int, str, str]] = []  # (score, position, key, kind)
        i = 0
        while i < len(tokens):
            match = None
            for length in range(min(6, len(tokens) - i), 0, -1):
                key = " ".join(tokens[i : i + length])
                kind = (
                    "comune"
                    if key in self.exact
                    else "outside"
                    if key in self.outside
                    else "locality"
                    if key in self.localities
                    else None
                )
                if kind:
                    match = (length, key, kind)
                    break
            if not match:
                i += 1
                continue
            length, key, kind = match
            before, after = tokens[max(0, i - 4) : i], tokens[i + length : i + length + 3]
            whole_first = (
                i in starts
                and i + length in starts | {len(tokens)}
                and (i == 0 or (i == 1 and tokens[0] in ("io", "a", "ad", "da", "di", "sono", "in")))
                or (
                    tokens[:i] in ([], ["io"], ["a"], ["ad"], ["da"], ["di"], ["sono"], ["in"])
                    and len(first_segment) <= i + length
                )
            )
            street = bool(before) and before[-1] in _STREET_WORDS
            province = (
                len(before) >= 2
                and before[-2:] == ["provincia", "di"]
                or (bool(before) and before[-1] in ("provincia", "prov"))
            )
            cue = bool(before) and (before[-1] in _PLACE_PREPOSITIONS or before[-1] in _CUE_WORDS)
            # an everyday word needs a firmer cue: "a Sale", "sono di Re", "abito a Paese", "comune di Vita"
            firm = bool(before) and (
                before[-1] in ("a", "ad", "comune", "paese", "citta", "frazione")
                or (
                    len(before) >= 2
                    and before[-2] in _LIVING_VERBS | {"sono", "siamo", "e"}
                    and before[-1] in _PLACE_PREPOSITIONS
                )
            )
            origin = any(word in _ORIGIN_WORDS for word in before[-3:]) or before[-2:] in (["sono", "di"], ["e", "di"])
            context_after = (
                (
                    len(after) >= 1
                    and after[0] in _PROVINCES
                    and (i + length + 1 in starts or i + length + 1 == len(tokens))
                )
                or " ".join(after[:2]) in _AFTER_CUES
                or " ".join(after[:1]) in _AFTER_CUES
            )
            lives = any(word in _LIVING_VERBS for word in before)
            longer = kind != "comune" and re.search(
                r"(?i:\b" + r"\W+".join(map(re.escape, key.split())) + r")\s+[A-Z][a-z]{2,}", raw
            )  # "Prato Nevoso": another place
            if street or province or longer or (key in self.common and not (firm or context_after or whole_first)):
                i += 1
                continue
            score = (
                {"comune": 4, "locality": 2, "outside": 1}[kind] * 10
                + (5 if lives else 0)
                + (2 if cue or whole_first or context_after else 0)
                - (30 if origin and not lives else 0)
            )
            candidates.append((score, i, key, kind))
            i += length
        if not candidates:
            return self._misspelt_in_text(first_segment, tokens)
        score, position, key, kind = max(candidates, key=lambda c: (c[0], -c[1]))
        if kind == "locality":
            return self._locality(key)
        return self.resolve(key)

    def _misspelt_in_text(self, first_segment: List[str], tokens: List[str]) -> Optional[Resolution]:
        """'valenzza.' as the first part of a message, or 'abito a casle monferato': one comune only."""
        tries = []
        if 1 <= len(first_segment) <= 3:
            tries.append(" ".join(first_segment))
        for i, word in enumerate(tokens):
            if (
                word in _LIVING_VERBS - {"scrivo", "lavoro", "trovo", "trova"}
                and i + 1 < len(tokens)
                and tokens[i + 1] in ("a", "ad", "di", "da", "in")
            ):
                tries.append(" ".join(tokens[i + 2 : i + 4]))
                tries.append(" ".join(tokens[i + 2 : i + 3]))
        for attempt in tries:
            if len(attempt) >= MIN_FUZZY_LENGTH and attempt not in self.common:
                found = self.resolve(attempt)
                if found.status == FOUND:
                    return found
        return None

    def _locality(self, key: str) -> Resolution:
        """A locality of the GeoNames list: which comune it belongs to is not in our sources, so the
        nearest comune by coordinates is given for distances, and the answer must say so (via=locality)."""
        place = self.localities[key]
        nearest = (
            min(
                self.coords.items(),
                key=lambda item: (item[1][0] - place["lat"]) ** 2 + ((item[1][1] - place["lon"]) * 0.7) ** 2,
            )[0]
            if self.coords
            else None
        )
        if nearest is None:
            return Resolution(UNKNOWN, place["nome"], via="locality", locality=place)
        return Resolution(FOUND, place["nome"], comune=self.by_istat[nearest], via="locality", locality=place)


_SEGMENTS = re.compile(r"[.,;:!?()\[\]\n]+|\s-\s")
_PLACE_PREPOSITIONS = {"a", "ad", "di", "da", "in", "presso", "verso", "nel", "qui", "zona", "vicino", "dintorni"}
_CUE_WORDS = {"comune", "paese", "citta", "paesino", "frazione", "localita", "abito", "vivo", "sto"}
_LIVING_VERBS = {
    "abito",
    "abita",
    "abitiamo",
    "abitano",
    "abitava",
    "abitavo",
    "vivo",
    "vive",
    "viviamo",
    "vivono",
    "viveva",
    "sto",
    "sta",
    "stiamo",
    "stanno",
    "risiedo",
    "resido",
    "risiede",
    "residente",
    "residenti",
    "trovo",
    "trova",
    "lavoro",
    "scrivo",
}
_ORIGIN_WORDS = {"nato", "nata", "nati", "nate", "originario", "originaria", "origini", "cresciuto", "cresciuta"}
_STREET_WORDS = {"via", "corso", "piazza", "viale", "strada", "vicolo", "largo", "piazzale", "lungo", "c so", "p za"}
_AFTER_CUES = {
    "provincia",
    "in provincia",
    "prov",
    "in val",
    "in valle",
    "sul lago",
    "in sicilia",
    "in piemonte",
    "in liguria",
    "in lombardia",
    "quella",
    "quello",
    "paese",
    "paesino",
    "comune",
    "frazione",
    "li abitiamo",
    "li abito",
    "ci abito",
    "ci vivo",
    "te l",
    "gia detto",
    "l ho",
    "te lo",
}


@lru_cache(maxsize=None)
def index(url: Optional[str] = None) -> ComuneIndex:
    with db.session_scope(url) as session:
        comuni = session.execute(select(m.Comune.istat, m.Comune.nome, m.Comune.provincia, m.Comune.caps)).all()
        italia = session.execute(
            select(m.ComuneItalia.istat, m.ComuneItalia.nome, m.ComuneItalia.provincia, m.ComuneItalia.regione)
        ).all()
        coords = {
            istat: (lat, lon)
            for istat, lat, lon in session.execute(select(m.Comune.istat, m.Comune.lat, m.Comune.lon)).all()
        }
    if not comuni:
        raise RuntimeError("the directory is empty: run `python -m assistant.directory load`")
    with open(LOCALITIES_FILE, encoding="utf-8", newline="") as handle:
        localities = list(csv.DictReader(handle))
    return ComuneIndex([tuple(r) for r in comuni], [tuple(r) for r in italia], coords, localities)


def resolve(text: str, url: Optional[str] = None) -> Resolution:
    return index(url).resolve(text)


def find_in_text(text: str, url: Optional[str] = None) -> Optional[Resolution]:
    return index(url).find_in_text(text)
