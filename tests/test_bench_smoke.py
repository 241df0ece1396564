"""The benchmark harness (bench/) still runs end to end: a 200-message mailbox, no timing asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import daemon
from bench.harness import Options, format_table, format_targets, run_benchmark, write_json

pytestmark = pytest.mark.dovecot

SIZE = 200
KEYS = (
    "messages",
    "index_build_s",
    "wire_s",
    "first_scan_s",
    "first_scan_round_trips",
    "incremental_s",
    "incremental_round_trips",
    "peak_rss_mb",
    "delayed_first_scan_s",
)
DAEMON_KEYS = ("idle_cpu_percent", "idle_latency_s")


def test_a_small_benchmark_run_produces_every_number(dovecot, tmp_path):
    lines: list[str] = []
    options = Options(
        sizes=[SIZE],
        json_path=tmp_path / "results" / "bench.json",
        profile=True,
        profile_top=5,
        workdir=tmp_path / "work",
        wire_repeats=1,
        incremental_repeats=2,
        latency=0.005,  # the proxy path, cheaply
        idle_seconds=2,
        idle_latency_repeats=1,
        daemon_settle=0.5,
        idle_latency_pause=0.5,
        log=lines.append,
    )
    results, details = run_benchmark(options, dovecot=dovecot)
    extra = write_json(options.json_path, results, details)

    written = json.loads(options.json_path.read_text())
    assert list(written) == [str(SIZE)]
    numbers = written[str(SIZE)]
    for key in KEYS:
        assert isinstance(numbers[key], int | float) and numbers[key] > 0, (key, numbers.get(key))
    assert numbers["messages"] == SIZE
    assert details["sizes"][str(SIZE)]["first_scan"]["scanned"] == SIZE
    assert all(
        run["scanned"] == options.new_messages for run in details["sizes"][str(SIZE)]["incremental_runs"]
    )
    if daemon.unavailable() is None:
        assert all(key in numbers for key in DAEMON_KEYS)
    else:
        assert not any(key in numbers for key in DAEMON_KEYS)

    assert json.loads(extra.read_text())["targets"] == details["targets"]
    assert {t["verdict"] for t in details["targets"]} <= {"PASS", "FAIL", "NOT MEASURED"}
    assert len(details["targets"]) == 9  # the eight, and the pass's own CPU
    profile = details["sizes"][str(SIZE)]["profile"]
    assert "by cumulative time" in Path(profile["text"]).read_text()
    assert str(SIZE) in format_table(results)
    assert "first scan" in format_targets(details["targets"])
