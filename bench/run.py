"""Run the benchmark: `python bench/run.py [--sizes 1000,10000,100000] [--json FILE] [--profile]`.

Starts a private Dovecot (tests/support/dovecot.py), builds a mailbox of each size in it,
measures, prints a table and the issue's targets with PASS/FAIL, and writes FILE
(default bench/results/latest.json) with the numbers per size, and FILE's
`.details.json` sibling with everything else. See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `python bench/run.py` from anywhere: the working tree's code

from bench import daemon  # noqa: E402
from bench.harness import (  # noqa: E402
    DEFAULT_JSON,
    Options,
    format_table,
    format_targets,
    run_benchmark,
    write_json,
)
from tests.support.dovecot import DOVECOT  # noqa: E402


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "").replace("k", "000")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes are numbers separated by commas, not {text!r}") from None
    if not sizes or min(sizes) < 100:
        raise argparse.ArgumentTypeError("each size must be at least 100 messages")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument(
        "--sizes", type=_sizes, default=[1000, 10000, 100000], help="default 1000,10000,100000"
    )
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help=f"default {DEFAULT_JSON.relative_to(ROOT)}"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the first scan of the largest size (cProfile, in the child)",
    )
    parser.add_argument("--top", type=int, default=25, help="functions listed per profile table (default 25)")
    parser.add_argument("--idle-seconds", type=float, default=60.0, help="daemon idle window (default 60)")
    parser.add_argument(
        "--latency", type=float, default=0.025, help="proxy latency each way in s; 0 skips (default 0.025)"
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="incremental passes per size (median; default 5)"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep Dovecot and the mailboxes here (default: a temp dir)"
    )
    parser.add_argument("--keep", action="store_true", help="do not delete the mailboxes and the work dir")
    args = parser.parse_args(argv)

    if not DOVECOT.exists():
        print(
            f"bench: {DOVECOT} is missing. Run ./tests/run once (it installs Debian's dovecot-imapd "
            "and openssl, and the project's .venv), then run the benchmark again.",
            file=sys.stderr,
        )
        return 2

    started = time.monotonic()
    options = Options(
        sizes=args.sizes, json_path=args.json, profile=args.profile, profile_top=args.top,
        workdir=args.workdir, keep=args.keep, incremental_repeats=args.repeats,
        latency=args.latency, idle_seconds=args.idle_seconds,
        log=lambda line: print(f"{time.monotonic() - started:7.1f}s  {line}", flush=True),
    )  # fmt: skip
    results, details = run_benchmark(options)
    extra = write_json(args.json, results, details)

    print()
    print(format_table(results))
    print()
    print('Targets (issue "Benchmarks"):')
    print(format_targets(details["targets"]))
    reason = daemon.unavailable()
    if reason:
        print(f"\ndaemon idle CPU/RSS and IDLE latency: {reason}")
    largest = str(max(args.sizes))
    profile = details["sizes"].get(largest, {}).get("profile")
    if profile:
        print(f"\nProfile of the first scan of {int(largest):,} messages ({profile['stats']}):\n")
        print(Path(profile["text"]).read_text())
    incremental = details["sizes"].get(largest, {}).get("incremental_profile")
    if incremental:
        print(f"\nProfile of one incremental pass at {int(largest):,} messages ({incremental['stats']}):\n")
        print(Path(incremental["text"]).read_text())
    print(f"\nJSON: {args.json}\ndetails: {extra}")
    print(f"total {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
