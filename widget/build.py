"""Build widget/dist/widget.js from widget/src/: concatenate, inline the CSS, trim.

No bundler and no npm: the sources are plain scripts that share one function scope, joined in
the order below inside a single IIFE. "Trim" only drops comment-only lines, indentation and
blank lines (safe without a JS parser); gzip does the rest. Run `python widget/build.py` after
changing src/, and commit dist/ (the service serves it as is). `--check` exits 1 when dist/ is
stale (a test runs it).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = ["i18n.js", "config.js", "store.js", "connection.js", "view.js", "main.js"]
DIST = HERE / "dist" / "widget.js"
HEADER = "/*! Gemeente chat widget | EUPL-1.2 | built from widget/src by widget/build.py */\n"


def trim_js(source: str) -> str:
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


def trim_css(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    source = re.sub(r"\s+", " ", source)
    return re.sub(r"\s*([{};,>])\s*", r"\1", source).replace(";}", "}").strip()


def build() -> str:
    css = trim_css((HERE / "src" / "widget.css").read_text(encoding="utf-8"))
    parts = [f"var WIDGET_CSS = {json.dumps(css, ensure_ascii=False)};"]
    parts += [trim_js((HERE / "src" / name).read_text(encoding="utf-8")) for name in SOURCES]
    return HEADER + '(function () {\n"use strict";\n' + "\n".join(parts) + "\n})();\n"


def main(argv: list[str]) -> int:
    bundle = build()
    if "--check" in argv:
        current = DIST.read_text(encoding="utf-8") if DIST.exists() else ""
        if current != bundle:
            print("widget/dist/widget.js is out of date: run `python widget/build.py`", file=sys.stderr)
            return 1
        return 0
    DIST.parent.mkdir(exist_ok=True)
    DIST.write_text(bundle, encoding="utf-8")
    print(f"wrote {DIST.relative_to(HERE.parent)} ({len(bundle.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
