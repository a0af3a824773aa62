"""Turn what a person writes ("Mondovi", "S. Giorgio", "12042", "Casle Monferato") into a comune.

Statuses: ``found`` (one comune of Piemonte), ``ambiguous`` (several: ask, with candidates as
buttons), ``outside`` (an Italian comune outside Piemonte, with its region), ``unknown``.
A misspelling is accepted only when it is close to exactly one comune; otherwise the candidates are
offered, so a wrong comune is never picked silently.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import select

from assistant import db
from assistant.directory import models as m
from assistant.text import normalise

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
    r"vicino a |vicino ad |presso |zona |dalle parti di |nei pressi di )?")
_SAINT = re.compile(r"^(san|santo|santa|sant|s)\s")
_PROVINCES = {"to", "cn", "al", "at", "no", "vc", "bi", "vb"}
# Comuni whose name is also an everyday word: found in free text only right after a place cue.
_COMMON_WORDS = {"re", "sale", "lu", "pace", "casa", "villa", "bosco", "campo", "fine", "ala", "vico",
                 "sala", "torre", "ronco", "lesa", "mese", "bene", "rosta", "paesana", "prato", "borgo",
                 "monte", "piano", "valle", "rocca", "cervo", "pino", "castello", "oggi", "orta"}
_LINK_WORDS = {"invece", "ora", "adesso", "anzi", "a", "ad", "in", "di", "da", "nel", "al", "comune", "provincia"}
_TEXT_CUE = re.compile(
    r"\b(?:abito|abitiamo|vivo|viviamo|risiedo|resido|residente|sto|stiamo|lavoro|trovo|troviamo|"
    r"comune|provincia|zona|vicino|pressi|parti|sono|siamo|paese|citta)\s+(?:(?:a|ad|in|di|da|nel|del|al|"
    r"comune di|a pochi km da)\b)?\s*(.+)$")


@dataclass
class Resolution:
    status: str
    query: str
    comune: Optional[Dict] = None
    candidates: List[Dict] = field(default_factory=list)
    region: Optional[str] = None
    via: Optional[str] = None

    def to_dict(self) -> Dict:
        return {"status": self.status, "query": self.query, "comune": self.comune,
                "candidates": self.candidates, "region": self.region, "via": self.via}


def _saint_forms(key: str) -> List[str]:
    """'san giorgio canavese' is also reachable as 's giorgio canavese'."""
    match = _SAINT.match(key)
    return [key, "s " + key[match.end():]] if match and match.group(1) != "s" else [key]


class ComuneIndex:
    """In-memory index of the comuni, built once from the directory database."""

    def __init__(self, comuni: List[Tuple[str, str, str, str]], italia: List[Tuple[str, str, str, str]]):
        # comuni: (istat, nome, provincia, caps); italia: (istat, nome, provincia, regione)
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
                {"istat": istat, "nome": nome, "provincia": provincia, "regione": regione})

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
            if len(parts) <= len(words) or parts[:len(words) - 1] != words[:-1]:
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
            return Resolution(OUTSIDE, query, candidates=places[:MAX_CANDIDATES],
                              region=", ".join(regions), via="exact")

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
        return [(name, int(dist)) for name, dist, _ in
                process.extract(key, self.fuzzy_keys, scorer=OSA.distance, limit=8, score_cutoff=max_distance)]

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
        istats = [i for name, dist in scored if similarity(name, dist) >= top - 2 * RIVAL_MARGIN
                  for i in self.exact[name]]
        return Resolution(AMBIGUOUS, query, candidates=self._comuni(istats, province)[:MAX_CANDIDATES] or
                          self._comuni(istats)[:MAX_CANDIDATES], via="fuzzy")

    def find_in_text(self, text: str) -> Optional[Resolution]:
        """A comune named in a longer message ("mi picchia, abito a Casale Monferrato"), or None.

        Only exact names (any case or accents) and CAPs count here, and only after a place cue
        such as "abito a": free text is full of words that are also names of comuni.
        """
        plain = normalise(text)
        cap = re.search(r"\b(1[0-5]\d{3}|28\d{3})\b", plain)
        if cap and cap.group(1) in self.caps:
            return self.resolve(cap.group(1))
        for match in _TEXT_CUE.finditer(plain):
            words = match.group(1).split()
            # the place may come a word or two after the cue: "abito invece a Bra", "vivo ora a Cuneo"
            for start in range(min(3, len(words))):
                if start and words[start - 1] not in _LINK_WORDS:
                    break
                for length in range(min(6, len(words) - start), 0, -1):
                    candidate = " ".join(words[start:start + length])
                    if length == 1 and (candidate in _COMMON_WORDS or candidate in _LINK_WORDS):
                        continue
                    if candidate in self.exact or candidate in self.outside:
                        return self.resolve(candidate)
        return None


@lru_cache(maxsize=None)
def index(url: Optional[str] = None) -> ComuneIndex:
    with db.session_scope(url) as session:
        comuni = session.execute(select(m.Comune.istat, m.Comune.nome, m.Comune.provincia, m.Comune.caps)).all()
        italia = session.execute(select(m.ComuneItalia.istat, m.ComuneItalia.nome, m.ComuneItalia.provincia,
                                        m.ComuneItalia.regione)).all()
    if not comuni:
        raise RuntimeError("the directory is empty: run `python -m assistant.directory load`")
    return ComuneIndex([tuple(r) for r in comuni], [tuple(r) for r in italia])


def resolve(text: str, url: Optional[str] = None) -> Resolution:
    return index(url).resolve(text)


def find_in_text(text: str, url: Optional[str] = None) -> Optional[Resolution]:
    return index(url).find_in_text(text)
