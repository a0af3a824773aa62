"""The ratchet: tests/eval/ratchet.json records the last achieved figures on the TEST splits, and
`make test` fails only when a figure falls below its ratchet (minus a small tolerance) — so every
improvement lands and none is lost. `python scripts/nlu_report.py --update-ratchet` raises it; it is
never lowered (a figure that got worse keeps its old value)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from scripts.evaluation.scoring import TARGETS
from scripts.evaluation.sets import ROOT

RATCHET_FILE = ROOT / "tests" / "eval" / "ratchet.json"
TOLERANCE = 0.01
# Figures where lower is better: they may not rise at all.
LOWER_IS_BETTER = {"comune_wrong"}


def load(path: Path = RATCHET_FILE) -> Dict:
    return json.loads(path.read_text(encoding="utf-8"))


def save(data: Dict, path: Path = RATCHET_FILE) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")


def regressions(figures: Dict[str, Optional[float]], ratchet: Dict) -> List[str]:
    """What fell below the ratchet (beyond the tolerance); only the figures measured are checked."""
    tolerance = ratchet.get("tolerance", TOLERANCE)
    out = []
    for name, floor in ratchet["figures"].items():
        if name not in figures:
            continue
        value = figures[name]
        if value is None:
            out.append(f"{name}: not measured (ratchet {floor})")
        elif name in LOWER_IS_BETTER and value > floor:
            out.append(f"{name}: {value} > ratchet {floor} (may not rise)")
        elif name not in LOWER_IS_BETTER and value < floor - tolerance:
            out.append(f"{name}: {value:.4f} < ratchet {floor:.4f} - {tolerance}")
    return out


def raised(figures: Dict[str, Optional[float]], ratchet: Dict) -> Tuple[Dict, List[str]]:
    """The ratchet with every measured figure that improved on it; and what changed."""
    new = json.loads(json.dumps(ratchet))
    changes = []
    for name, value in figures.items():
        if value is None:
            continue
        old = new["figures"].get(name)
        better = old is None or (value < old if name in LOWER_IS_BETTER else value > old)
        if better:
            new["figures"][name] = value
            changes.append(f"{name}: {old} -> {value}")
    return new, changes


def _shown(value) -> str:
    return "-" if value is None else (f"{value}" if isinstance(value, int) else f"{value:.3f}")


def table(figures: Dict[str, Optional[float]], ratchet: Dict, dev: Optional[Dict[str, Optional[float]]] = None) -> str:
    """Test-split figure (and the dev one when given), ratchet and target side by side."""
    lines = [f"  {'figure':<26}" + (f"{'dev':>8}" if dev is not None else "") + f"{'test':>8}{'ratchet':>9}   target"]
    for name, value in figures.items():
        op, target = TARGETS.get(name, ("", None))
        met = (
            ""
            if target is None or value is None
            else ("  met" if (value >= target if op == ">=" else value <= target) else "  NOT met")
        )
        lines.append(
            f"  {name:<26}"
            + (f"{_shown(dev.get(name)):>8}" if dev is not None else "")
            + f"{_shown(value):>8}{_shown(ratchet['figures'].get(name)):>9}   "
            + (f"{op} {target}{met}" if target is not None else "")
        )
    return "\n".join(lines)
