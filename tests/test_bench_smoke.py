"""Smoke tests of the benchmarks: a --quick run against this checkout writes its report.

Asserts the shape of the JSON reports only, never a time (timings belong in docs/performance.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _quick_report(script: str, name: str, *args: str) -> Any:
    report = ROOT / "bench" / "reports" / f"{name}.json"
    report.unlink(missing_ok=True)
    subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, str(ROOT / "bench" / script), "--quick", "--no-doc", "--report", name, *args],
        cwd=ROOT,
        check=True,
        timeout=110,
        capture_output=True,
    )
    return json.loads(report.read_text())


@pytest.mark.timeout(120)
def test_relay_bench_quick_writes_report() -> None:
    data = _quick_report("relay.py", "relay-smoke-test", "--database", "sqlite", "--processes", "1", "--rounds", "2")
    assert {"benchmark", "date", "command", "machine", "echo", "closed", "open"} <= data.keys()
    assert data["echo"]["5"]["messages_per_s"] > 0
    closed = data["closed"]["sqlite/1p/5"]
    assert {"chats", "messages_per_s", "p50_ms", "p95_ms", "p99_ms", "ratio_to_echo", "timeouts"} <= closed.keys()
    assert closed["messages_per_s"] > 0 and closed["timeouts"] == 0
    # Two (echo, relay) pairs; the result is the run with the median ratio (of two: the higher).
    assert len(closed["ratios"]) == 2 and closed["ratio_to_echo"] == max(closed["ratios"])
    assert all(r["echo_messages_per_s"] > 0 for r in closed["rounds"])
    opened = data["open"]["sqlite/1p"]
    assert {"both", "resident_to_agent", "agent_to_resident", "lost_or_late"} <= opened.keys()
    assert opened["both"]["n"] > 0


@pytest.mark.timeout(120)
def test_relay_bench_routed_over_two_instances_reports_where_chats_landed() -> None:
    """The router's offers place the chats (two agents per instance, residents spread)."""
    data = _quick_report(
        "relay.py", "relay-routed-smoke-test", "--database", "sqlite", "--processes", "2", "--placement", "routed",
        "--open-seconds", "0",
    )  # fmt: skip
    assert data["placement"] == "routed"
    closed = data["closed"]["sqlite/2p/5"]
    assert closed["messages_per_s"] > 0 and closed["timeouts"] == 0
    assert 0 <= closed["local_chats"] <= 5 and closed["redis_out_bytes_per_message"] >= 0


@pytest.mark.timeout(120)
def test_append_cost_bench_quick_writes_report() -> None:
    data = _quick_report("append_cost.py", "append-cost-smoke-test")
    assert [r["table_rows"] for r in data["results"]] == [0, 1000]
    assert all(r["database_cpu_ms_per_batch"] > 0 for r in data["results"])


@pytest.mark.timeout(120)
def test_handover_latency_bench_runs_more_rounds_than_one_address_may_hand_over() -> None:
    """25 rounds from one address: above the per-address limit of 20 handovers a minute, which the
    benchmark raises for its own instances (without that, round 21 waited for a chat that was refused)."""
    report = ROOT / "bench" / "reports" / "handover-latency-smoke-test.json"
    report.unlink(missing_ok=True)
    subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, str(ROOT / "bench" / "handover_latency.py"), "--rounds", "25", "--report", report.stem],
        cwd=ROOT,
        check=True,
        timeout=110,
        capture_output=True,
    )
    data = json.loads(report.read_text())
    assert data["rounds"] == 25 and data["database"] == "sqlite"
    for instances in (1, 2):
        for name in ("queue_ms", "offer_ms"):
            numbers = data[f"{instances}_instance_{name}"]
            assert 0 < numbers["median"] <= numbers["p95"] <= numbers["max"]


def test_cpu_cap_holds_a_process_to_its_quota_and_removes_its_group() -> None:
    """`bench/relay.py --cpu-per-process`: the process joins a cgroup with the quota; the group goes after."""
    sys.path.insert(0, str(ROOT / "bench"))
    import harness

    try:
        cap = harness.CpuCap(0.25)
    except SystemExit as exc:
        pytest.skip(f"this machine gives the bench no cgroup CPU quota to set (not root, or no cpu controller): {exc}")
    proc = subprocess.Popen(["sleep", "30"])  # noqa: S607 - coreutils
    try:
        group = cap.confine([proc.pid])
        assert str(proc.pid) in (group / "cgroup.procs").read_text().split()
        quota = (group / "cpu.max").read_text().split()[0] if cap.v2 else (group / "cpu.cfs_quota_us").read_text()
        assert int(quota) == 2500  # a quarter of the 10 ms period
    finally:
        proc.kill()
        proc.wait()
    cap.release()
    assert not group.exists()
