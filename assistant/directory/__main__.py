"""Command line for operators and tests.

python -m assistant.directory load [--if-changed]   validate the seed and load it (first set-up; with
                                                    --if-changed it never overwrites an edited directory)
python -m assistant.directory check                 validate the seed only, report bad rows
python -m assistant.directory report [--png FILE]   coverage per province and a map of the comuni
python -m assistant.directory export FILE.csv       one seed file as the database holds it now
python -m assistant.directory import FILE.csv [--apply]
                                                    diff of a seed-format CSV against the database;
                                                    --apply applies exactly that diff
python -m assistant.directory resolve "TEXT"        JSON: status, comune, candidates, region
python -m assistant.directory nearest "TEXT" [--tipo TYPE] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.directory import edit, loader, models, report
from assistant.directory.nearest import nearest
from assistant.directory.resolve import FOUND, resolve
from assistant.settings import PROJECT_ROOT


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.directory", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="SQLAlchemy URL (default: SV_DATABASE_URL or var/sportello.db)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_load = sub.add_parser("load", help="validate and load the seed data")
    p_load.add_argument("--if-changed", action="store_true", help="skip when the seed did not change")
    sub.add_parser("check", help="validate the seed data without loading it")
    p_rep = sub.add_parser("report", help="coverage per province and a map PNG")
    p_rep.add_argument("--png", default=str(PROJECT_ROOT / "var" / "directory_coverage.png"))
    p_rep.add_argument("--json", action="store_true")
    p_exp = sub.add_parser("export", help="write one seed file from the database to stdout")
    p_exp.add_argument("kind", choices=list(edit.SEED_HEADERS) + ["enti_gestori_comuni.csv"])
    p_imp = sub.add_parser("import", help="preview (and apply) a seed-format CSV")
    p_imp.add_argument("file")
    p_imp.add_argument("--apply", action="store_true")
    p_res = sub.add_parser("resolve", help="resolve a comune")
    p_res.add_argument("text")
    p_near = sub.add_parser("nearest", help="services for a comune")
    p_near.add_argument("text")
    p_near.add_argument("--tipo", default=models.CENTRO_ANTIVIOLENZA, choices=models.SERVICE_TYPES)
    p_near.add_argument("--limit", type=int, default=3)
    args = parser.parse_args(argv)

    try:
        if args.command == "check":
            seed = loader.read_seed()
            print(
                json.dumps(
                    {
                        "ok": True,
                        "comuni": len(seed.comuni),
                        "services": len(seed.services),
                        "coverage": len(seed.coverage),
                    }
                )
            )
            return 0
        if args.command == "load":
            counts = loader.load(args.db, if_changed=args.if_changed)
            if counts.get("kept_edits"):
                print(
                    "    the seed changed, but the directory was edited: nothing overwritten. To bring the seed in,\n"
                    "    preview it with `python -m assistant.directory import data/directory/FILE.csv`."
                )
            else:
                print("    directory up to date" if not counts else f"    loaded {counts}")
            return 0
        if args.command == "report":
            data = report.compute(args.db)
            Path(args.png).parent.mkdir(parents=True, exist_ok=True)
            Path(args.png).write_bytes(report.map_png(data))
            if args.json:
                print(json.dumps({"province": data["province"], "totale": data["totale"]}, indent=2))
            else:
                print(report.table(data))
                print(f"\nmap: {args.png}")
            return 0
        if args.command == "export":
            sys.stdout.write(edit.export_csv(args.kind, args.db))
            return 0
        if args.command == "import":
            text = Path(args.file).read_text(encoding="utf-8")
            preview = edit.preview_import(args.file, text, args.db)
            for error in preview.errors:
                print(f"  - {error}", file=sys.stderr)
            if preview.errors:
                print("error: the file has errors; nothing was changed", file=sys.stderr)
                return 1
            for change in preview.changes:
                print(f"{change['azione']} {change['id']} ({change['nome']}), line {change['line']}:")
                for key, old, new in change["campi"]:
                    print(f"    {key}: {old!r} -> {new!r}")
            print(
                f"{len(preview.changes)} to change, {preview.unchanged} unchanged, "
                f"{len(preview.absent)} in the directory but not in the file (left as they are)"
            )
            if args.apply and preview.changes:
                edit.apply_import(args.file, text, preview.digest, "riga di comando", args.db)
                print("applied")
            return 0
    except edit.EditError as err:
        for line in err.errors:
            print(f"  - {line}", file=sys.stderr)
        return 1
    except loader.SeedError as err:
        print(f"error: {err}; nothing was loaded:", file=sys.stderr)
        for line in err.errors:
            print(f"  - {line}", file=sys.stderr)
        return 1

    result = resolve(args.text, args.db)
    if args.command == "resolve":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    out = result.to_dict()
    if result.status == FOUND and result.comune:
        out["services"] = nearest(result.comune["istat"], args.tipo, args.limit, args.db)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
