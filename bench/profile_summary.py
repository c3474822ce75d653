"""Top items of a py-spy `--format raw` profile (collapsed stacks), by own and by total time.

.venv/bin/python bench/profile_summary.py bench/reports/profile-before.txt [--top 10]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path


def frame_name(frame: str) -> str:
    """`func (path/to/module.py:123)` -> `func (module.py)`: lines differ, functions do not."""
    match = re.match(r"(.*?) \((.*?)(?::\d+)?\)$", frame.strip())
    if not match:
        return frame.strip()
    func, path = match.groups()
    parts = Path(path).parts
    short = "/".join(parts[-2:]) if len(parts) > 1 else path
    return f"{func} ({short})"


def summarise(path: Path, top: int) -> str:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [frame_name(f) for f in stack.split(";")]
        frames = [f for f in frames if not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        own[frames[-1]] += n
        for f in set(frames):
            total[f] += n
    lines = [
        f"{samples} samples",
        "",
        "| # | own % | function (own) | total % | function (total) |",
        "| --- | --- | --- | --- | --- |",
    ]
    by_own, by_total = own.most_common(top), total.most_common(top * 3)
    # the total list skips the event loop and asyncio plumbing every task sits under
    plumbing = (
        "run (",
        "run_forever",
        "_run_once",
        "_run (asyncio",
        "main (",
        "<module>",
        "run_until_complete",
        "_bootstrap",
        "serve (",
        "startup",
        "run_module",
        "_run_code",
        "(click/",
        "Runner.run",
    )
    by_total = [(f, n) for f, n in by_total if not any(p in f for p in plumbing)][:top]
    for i in range(top):
        o = by_own[i] if i < len(by_own) else ("", 0)
        t = by_total[i] if i < len(by_total) else ("", 0)
        lines.append(
            f"| {i + 1} | {100 * o[1] / max(1, samples):.1f} | `{o[0]}` | "
            f"{100 * t[1] / max(1, samples):.1f} | `{t[0]}` |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    print(summarise(Path(args.profile), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
