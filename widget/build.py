"""Build the browser bundles from their sources: concatenate, inline the CSS, trim.

Two bundles, one mechanism:
- widget/dist/widget.js from widget/src/ (the chat widget, CSS inlined as WIDGET_CSS);
- handover/web/console/console.js from handover/web/console/src/ (the agent console), which
  shares the widget's reconnecting socket, widget/src/connection.js.

No bundler and no npm: the sources are plain scripts that share one function scope, joined in
the order below inside a single IIFE (so a module may use any function of another; top-level
statements run in this order). "Trim" only drops comment-only lines, indentation and blank
lines (safe without a JS parser); gzip does the rest. Run `python widget/build.py` after
changing a source, and commit the bundles (the service serves them as is). `--check` exits 1
when a bundle is stale (a test runs it).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WIDGET_SRC = HERE / "src"
CONSOLE_SRC = ROOT / "handover" / "web" / "console" / "src"


@dataclass(frozen=True)
class Bundle:
    sources: tuple[Path, ...]
    dist: Path
    header: str
    css: Path | None = None  # inlined as WIDGET_CSS (the console links its stylesheet instead)


WIDGET = Bundle(
    sources=tuple(WIDGET_SRC / name for name in
                  ["i18n.js", "config.js", "store.js", "connection.js", "view.js", "main.js"]),
    dist=HERE / "dist" / "widget.js",
    header="/*! Gemeente chat widget | EUPL-1.2 | built from widget/src by widget/build.py */\n",
    css=WIDGET_SRC / "widget.css",
)
CONSOLE = Bundle(
    sources=(
        CONSOLE_SRC / "i18n.js", CONSOLE_SRC / "util.js", CONSOLE_SRC / "state.js",
        WIDGET_SRC / "connection.js", CONSOLE_SRC / "socket.js", CONSOLE_SRC / "session.js",
        CONSOLE_SRC / "queue.js", CONSOLE_SRC / "chats.js", CONSOLE_SRC / "conversation.js",
        CONSOLE_SRC / "composer.js", CONSOLE_SRC / "actions.js", CONSOLE_SRC / "klantbeeld.js",
        CONSOLE_SRC / "requests.js", CONSOLE_SRC / "callbacks.js", CONSOLE_SRC / "keyboard.js",
        CONSOLE_SRC / "main.js",
    ),
    dist=ROOT / "handover" / "web" / "console" / "console.js",
    header="/*! Gemeente agent console | EUPL-1.2 | built from handover/web/console/src by widget/build.py */\n",
)
BUNDLES = (WIDGET, CONSOLE)
DIST = WIDGET.dist  # kept for callers that only know the widget


def trim_js(source: str) -> str:
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


def trim_css(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    source = re.sub(r"\s+", " ", source)
    return re.sub(r"\s*([{};,>])\s*", r"\1", source).replace(";}", "}").strip()


def build(bundle: Bundle = WIDGET) -> str:
    parts = []
    if bundle.css is not None:
        css = trim_css(bundle.css.read_text(encoding="utf-8"))
        parts.append(f"var WIDGET_CSS = {json.dumps(css, ensure_ascii=False)};")
    parts += [trim_js(path.read_text(encoding="utf-8")) for path in bundle.sources]
    return bundle.header + '(function () {\n"use strict";\n' + "\n".join(parts) + "\n})();\n"


def main(argv: list[str]) -> int:
    stale = []
    for bundle in BUNDLES:
        text = build(bundle)
        name = bundle.dist.relative_to(ROOT)
        if "--check" in argv:
            current = bundle.dist.read_text(encoding="utf-8") if bundle.dist.exists() else ""
            if current != text:
                stale.append(name)
            continue
        bundle.dist.parent.mkdir(exist_ok=True)
        bundle.dist.write_text(text, encoding="utf-8")
        print(f"wrote {name} ({len(text.encode())} bytes)")
    for name in stale:
        print(f"{name} is out of date: run `python widget/build.py`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
