"""The coverage report and its map, produced on the seed (make test runs this): figures per province,
a PNG of the comuni, and the figures written in docs/directory.md are the current ones."""

import json
import subprocess
import sys

from assistant.directory import report
from assistant.settings import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / "artifacts"


def test_report_and_map_on_the_seed(db_url):
    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / "directory_coverage.png"
    png.unlink(missing_ok=True)
    out = subprocess.run(
        [sys.executable, "-m", "assistant.directory", "--db", db_url, "report", "--png", str(png), "--json"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=True,
    )
    data = json.loads(out.stdout)
    assert set(data["province"]) == set(report.PROVINCE_ORDER)
    counts = {p: row["comuni"] for p, row in data["province"].items()}
    assert counts == {"TO": 312, "CN": 247, "AL": 187, "AT": 117, "NO": 87, "VC": 82, "BI": 74, "VB": 74}
    total = data["totale"]
    assert total["comuni"] == 1180
    for key, _label in report.COLUMNS:
        assert 0 <= total[key] <= 1180 and total[key] == sum(r[key] for r in data["province"].values())
    assert total["sociali"] == 312  # comuni mapped to their ente gestore in the seed
    assert data["province"]["VB"]["cav"] == 74  # the VCO centre serves its whole province
    assert total["sociali_tel"] <= total["sociali"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    # docs/directory.md carries these figures (python -m assistant.directory report prints the table)
    docs = (PROJECT_ROOT / "docs" / "directory.md").read_text(encoding="utf-8")
    assert report.table(report.compute(db_url)) in docs
