"""The committed bundles (widget, agent console) match their sources; the widget stays inside its size
budget; no source uses an HTML sink."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_dist_is_built_from_src():
    result = run("widget/build.py", "--check")
    assert result.returncode == 0, result.stderr


def test_size_budget_is_met_and_reported(tmp_path):
    report = tmp_path / "widget_size.json"
    result = run("bench/widget_size.py", "--report", str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    numbers = json.loads(report.read_text())
    assert numbers["gzip_bytes"] <= numbers["budget_gzip_bytes"] == 25 * 1024
    assert "gzipped" in result.stdout


def test_size_check_fails_when_over_budget(tmp_path):
    result = run("bench/widget_size.py", "--budget", "1000", "--report", str(tmp_path / "r.json"))
    assert result.returncode == 1
    assert "OVER BUDGET" in result.stdout


def test_console_is_built_from_its_modules_on_the_widget_connection():
    bundle = (ROOT / "handover" / "web" / "console" / "console.js").read_text()
    assert bundle.startswith("/*! Gemeente agent console")
    # One reconnecting socket for both: the console's modules never open a WebSocket themselves.
    assert bundle.count("function Connection(url, handlers)") == 1
    sources = list((ROOT / "handover" / "web" / "console" / "src").glob("*.js"))
    assert len(sources) > 10
    assert not [s.name for s in sources if "new WebSocket" in s.read_text()]


def test_sources_never_use_html_sinks():
    sources = [*(ROOT / "widget" / "src").glob("*.js"), *(ROOT / "handover" / "web" / "console" / "src").glob("*.js")]
    for source in sources:
        text = source.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text.replace("no innerHTML on purpose", ""), f"{sink} in {source.name}"
