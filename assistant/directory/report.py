"""Coverage report for the people who maintain the directory: per province, how many comuni have
- an anti-violence centre or desk that a source says covers them (the comune or its whole province),
- a social-service body (ente gestore) known to serve them, with a phone,
- a victim-support desk (Rete Dafne) within 30 km of the comune,
counting only entries that are shown to users (not closed) and can be reached. Plus a map PNG of the
comuni of Piemonte as points coloured by how many of the three they have.
"""

from __future__ import annotations

import io
from typing import Dict, List, Optional

from assistant.directory import models as m
from assistant.directory.nearest import Directory, _load, haversine_km

NEAR_KM = 30
PROVINCE_ORDER = ["TO", "CN", "AL", "AT", "NO", "VC", "BI", "VB"]
COLUMNS = [
    ("comuni", "comuni"),
    ("cav", "CAV/sportello che li copre"),
    ("cav_30", "CAV/sportello entro 30 km"),
    ("sociali", "servizi sociali noti"),
    ("sociali_tel", "servizi sociali con telefono"),
    ("vittime_30", "sportello vittime entro 30 km"),
]


def _has_phone(service: m.Service) -> bool:
    return bool(service.phone_list or service.telefono_h24 or service.numero_verde)


def per_comune(d: Directory) -> Dict[str, Dict[str, bool]]:
    antiviolence = [s for s in d.services if s.tipo in (m.CENTRO_ANTIVIOLENZA, m.SPORTELLO) and s.shown and s.reachable]
    victims = [s for s in d.services if s.tipo == m.SUPPORTO_VITTIME and s.shown and s.reachable and s.comune]
    out = {}
    for istat, here in d.comuni.items():

        def within(services: List[m.Service], here: m.Comune = here) -> bool:
            return any(
                s.comune and haversine_km(here.lat, here.lon, s.comune.lat, s.comune.lon) <= NEAR_KM for s in services
            )

        social = d.covering(istat, m.ENTE_GESTORE)
        covering = d.covering(istat, m.CENTRO_ANTIVIOLENZA) + d.covering(istat, m.SPORTELLO)
        out[istat] = {
            "cav": any(s.reachable for s in covering),
            "cav_30": within(antiviolence),
            "sociali": bool(social),
            "sociali_tel": any(_has_phone(s) for s in social),
            "vittime_30": within(victims),
        }
    return out


def compute(url: Optional[str] = None) -> Dict:
    d = _load(url)
    flags = per_comune(d)
    rows = {p: {key: 0 for key, _ in COLUMNS} for p in PROVINCE_ORDER}
    for istat, f in flags.items():
        row = rows.setdefault(d.comuni[istat].provincia, {key: 0 for key, _ in COLUMNS})
        row["comuni"] += 1
        for key, value in f.items():
            row[key] += int(value)
    total = {key: sum(r[key] for r in rows.values()) for key, _ in COLUMNS}
    return {
        "province": rows,
        "totale": total,
        "near_km": NEAR_KM,
        "version": d.version,
        "points": [(c.lon, c.lat, flags[c.istat]) for c in d.comuni.values()],
    }


def table(data: Dict) -> str:
    head = ["provincia"] + [label for _, label in COLUMNS]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for name, row in list(data["province"].items()) + [("totale", data["totale"])]:
        cells = [name, str(row["comuni"])]
        for key, _ in COLUMNS[1:]:
            pct = 100 * row[key] / row["comuni"] if row["comuni"] else 0
            cells.append(f"{row[key]} ({pct:.0f}%)")
        lines.append(" | ".join(cells))
    return "\n".join(lines)


LEVELS = [
    ("nessuno dei tre", "#d7191c"),
    ("uno su tre", "#fdae61"),
    ("due su tre", "#a6d96a"),
    ("tutti e tre", "#1a9641"),
]


def map_png(data: Dict) -> bytes:
    """Comuni as points, coloured by how many of: covering anti-violence centre, social services with a
    phone, victim-support desk within 30 km."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 8.5), dpi=110)
    for level, (label, colour) in enumerate(LEVELS):
        pts = [(lon, lat) for lon, lat, f in data["points"] if f["cav"] + f["sociali_tel"] + f["vittime_30"] == level]
        if pts:
            ax.scatter(
                [p[0] for p in pts],
                [p[1] for p in pts],
                s=9,
                c=colour,
                label=f"{label} ({len(pts)})",
                edgecolors="none",
            )
    ax.set_aspect(1 / 0.7)  # about 1/cos(45.5°): degrees of longitude are shorter than of latitude
    ax.set_xlabel("longitudine")
    ax.set_ylabel("latitudine")
    ax.set_title(
        "Comuni del Piemonte: CAV che li copre, servizi sociali con telefono,\n"
        f"sportello vittime entro {NEAR_KM} km (elenco versione {data['version']})",
        fontsize=10,
    )
    ax.legend(loc="lower left", fontsize=8, title="quanti dei tre", title_fontsize=8)
    ax.grid(alpha=0.2)
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
