"""Smoke test of the relay benchmark: a --quick run on SQLite against this checkout writes its report.

Asserts the shape of the JSON report only, never a time (timings belong in docs/performance.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(120)
def test_relay_bench_quick_writes_report() -> None:
    name = "relay-smoke-test"
    report = ROOT / "bench" / "reports" / f"{name}.json"
    report.unlink(missing_ok=True)
    subprocess.run(  # noqa: S603 (our own script)
        [
            sys.executable,
            str(ROOT / "bench" / "relay.py"),
            "--quick",
            "--database",
            "sqlite",
            "--processes",
            "1",
            "--no-doc",
            "--report",
            name,
        ],
        cwd=ROOT,
        check=True,
        timeout=110,
        capture_output=True,
    )
    data = json.loads(report.read_text())
    assert {"benchmark", "date", "command", "machine", "echo", "closed", "open"} <= data.keys()
    assert data["echo"]["5"]["messages_per_s"] > 0
    closed = data["closed"]["sqlite/1p/5"]
    assert {"chats", "messages_per_s", "p50_ms", "p95_ms", "p99_ms", "ratio_to_echo", "timeouts"} <= closed.keys()
    assert closed["messages_per_s"] > 0 and closed["timeouts"] == 0
    opened = data["open"]["sqlite/1p"]
    assert {"both", "resident_to_agent", "agent_to_resident", "lost_or_late"} <= opened.keys()
    assert opened["both"]["n"] > 0


@pytest.mark.timeout(120)
def test_append_cost_bench_quick_writes_report() -> None:
    name = "append-cost-smoke-test"
    report = ROOT / "bench" / "reports" / f"{name}.json"
    report.unlink(missing_ok=True)
    subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, str(ROOT / "bench" / "append_cost.py"), "--quick", "--no-doc", "--report", name],
        cwd=ROOT,
        check=True,
        timeout=110,
        capture_output=True,
    )
    data = json.loads(report.read_text())
    assert [r["table_rows"] for r in data["results"]] == [0, 1000]
    assert all(r["database_cpu_ms_per_batch"] > 0 for r in data["results"])
