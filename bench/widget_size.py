"""Size budget of the resident widget: JS plus CSS (one file, CSS inlined), gzipped.

Prints the numbers, writes bench/reports/widget_size.json and exits 1 when the gzipped bundle
is over budget (default 25 KB = 25 600 bytes; `--budget BYTES` to try another).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "widget" / "dist" / "widget.js"
CSS = ROOT / "widget" / "src" / "widget.css"
REPORT = ROOT / "bench" / "reports" / "widget_size.json"
BUDGET = 25 * 1024


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", type=int, default=BUDGET, help="gzipped bytes allowed (JS + CSS)")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)

    bundle = BUNDLE.read_bytes()
    css = CSS.read_bytes()
    report = {
        "file": str(BUNDLE.relative_to(ROOT)),
        "raw_bytes": len(bundle),
        "gzip_bytes": gzipped(bundle),
        "css_source_raw_bytes": len(css),
        "css_source_gzip_bytes": gzipped(css),
        "budget_gzip_bytes": args.budget,
    }
    report["within_budget"] = report["gzip_bytes"] <= args.budget
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    verdict = "ok" if report["within_budget"] else "OVER BUDGET"
    print(
        f"widget.js (JS + inlined CSS): {report['raw_bytes']} bytes raw, "
        f"{report['gzip_bytes']} bytes gzipped; budget {args.budget} bytes gzipped: {verdict}"
    )
    print(f"report: {args.report}")
    return 0 if report["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
