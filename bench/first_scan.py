"""One pass of the assistant in a process of its own, measured: `python bench/first_scan.py`.

    python bench/first_scan.py --config CONFIG --out RESULT.json [--profile FILE.prof]

Runs `Engine.run_pass` once for the config's first account, the way `freelance-assistant
scan` does (config from disk, state in SQLite; on a fresh state directory that is the
first scan), and writes what it measured as JSON: `seconds` (wall time of `run_pass`,
connecting and logging in included), `cpu_seconds`, `round_trips`
(`ImapMailbox.round_trips`), `peak_rss_mb` (this process's VmHWM: the whole process,
interpreter and imports included) and `baseline_rss_mb` (RSS before the pass, after the
imports and the config), and what the pass saw and did.

With `--profile FILE`, the pass runs under cProfile: the stats go to FILE and the top
functions by cumulative and by own time to FILE.txt (the timing is then cProfile's, not
the real one: the benchmark runs the profile separately from the timed scan).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the working tree's assistant, not an installed copy

from assistant.adapters.store import Store  # noqa: E402
from assistant.config import load_config  # noqa: E402
from assistant.engine import Engine, open_mailbox, state_path  # noqa: E402


def status_mb(field: str) -> float:
    """A VmRSS/VmHWM line of /proc/self/status, in MB (0 where there is no /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def profile_text(stats_path: Path, top: int) -> str:
    out = io.StringIO()
    for key, title in (("cumulative", "cumulative time"), ("tottime", "own (total) time")):
        out.write(f"--- top {top} functions by {title} ---\n")
        stats = pstats.Stats(str(stats_path), stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--profile", type=Path, help="run under cProfile and write the stats here")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)

    config = load_config(args.config)
    account = config.account(None)
    now = datetime.now(ZoneInfo(config.identity.timezone))
    mailbox = open_mailbox(account)
    store = Store.open(state_path(config, account))
    baseline = status_mb("VmRSS")
    profiler = cProfile.Profile() if args.profile else None
    try:
        cpu = time.process_time()
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        report = Engine(config, account, mailbox, store).run_pass(now)
        if profiler is not None:
            profiler.disable()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        statuses = Counter(str(i.status.value) for i in store.invoices())
        deliverables = Counter(str(d.status.value) for d in store.deliverables())
    finally:
        mailbox.close()
        store.close()
    result = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "round_trips": getattr(mailbox, "round_trips", None),
        "peak_rss_mb": status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "baseline_rss_mb": baseline,
        "scanned": report.scanned,
        "candidates": report.candidates,
        "drafted": len(report.drafted),
        "changes": len(report.changes),
        "skipped_messages": len(report.skipped_messages),
        "errors": report.errors,
        "invoices_by_status": dict(statuses),
        "deliverables_by_status": dict(deliverables),
    }
    if profiler is not None:
        profiler.dump_stats(str(args.profile))
        text = profile_text(args.profile, args.top)
        args.profile.with_suffix(".txt").write_text(text)
        result["profile"] = str(args.profile)
        result["profile_text"] = str(args.profile.with_suffix(".txt"))
    args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
