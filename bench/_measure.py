"""Measurements every benchmark takes: how busy the machine is, and percentiles."""

from __future__ import annotations

import os
import time
from pathlib import Path


def machine_busy_seconds() -> float | None:
    """CPU seconds spent busy on all cores since boot (not idle, not waiting for I/O)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def machine_busy_fraction(seconds: float = 1.0) -> float | None:
    """The share of all cores busy over the next ``seconds``."""
    before, started = machine_busy_seconds(), time.monotonic()
    time.sleep(seconds)
    after = machine_busy_seconds()
    if before is None or after is None:
        return None
    return (after - before) / (time.monotonic() - started) / (os.cpu_count() or 1)


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
