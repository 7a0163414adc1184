"""How closely `kafkatui produce --count N --rate R` keeps to the rate asked for.

    python bench/produce_rate.py [--count 300]

For each rate, the achieved rate (records / the command's own elapsed_s) against the
requested one; a ratio near 1.0 means the throttle holds, above 1 that it runs fast.
One data dir, one topic, the same run for every rate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

KAFKATUI = [sys.executable, "-c", "from kafkatui.cli.main import run; run()"]


def kafkatui(data_dir: str, *args: str) -> str:
    done = subprocess.run([*KAFKATUI, "--data-dir", data_dir, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"kafkatui {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        kafkatui(data_dir, "topic", "create", "rate", "--partitions", "1")
        print(f"{'requested rec/s':>16} {'achieved rec/s':>15} {'ratio':>6}")
        for rate in (100, 1_000, 10_000):
            count = min(args.count, rate * 3)  # about three seconds at most per rate
            out = json.loads(
                kafkatui(data_dir, "produce", "rate", "--count", str(count), "--rate", str(rate), "--json")
            )
            achieved = out["acked"] / out["elapsed_s"]
            print(f"{rate:>16,} {achieved:>15,.0f} {achieved / rate:>6.2f}")


if __name__ == "__main__":
    main()
