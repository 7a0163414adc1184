"""How long `kafkatui` takes to answer --help, against bare Typer, in one run.

    python bench/startup.py [--runs 15]

Each command runs as a new process (the way a user runs it), `--runs` times, taking
turns so that a busy machine slows all of them alike; the median wall time of each is
printed with its ratio to the baseline, `python -c "import typer"` in the same
interpreter. `kafkatui --help` should stay within 2× the baseline: it imports no
command module (kafkatui/cli/root.py). A command's own --help imports that command's
module, and with it what the module imports at its top.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASELINE = "python -c 'import typer'"
GOAL = 2.0


def kafkatui() -> list[str]:
    """The console script next to this interpreter, else the same entry point via -c."""
    script = Path(sys.executable).parent / "kafkatui"
    if script.is_file():
        return [str(script)]
    found = shutil.which("kafkatui")
    return [found] if found else [sys.executable, "-c", "from kafkatui.cli.main import run; run()"]


def commands() -> dict[str, list[str]]:
    return {
        BASELINE: [sys.executable, "-c", "import typer"],
        "kafkatui --help": [*kafkatui(), "--help"],
        "kafkatui topic --help": [*kafkatui(), "topic", "--help"],
        "kafkatui topic create --help": [*kafkatui(), "topic", "create", "--help"],
    }


def wall_time(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = {**os.environ, "COLUMNS": "100"}
    runs = commands()
    for argv in runs.values():  # warm the OS's file cache and the .pyc files
        wall_time(argv, env)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.runs):
        for name, argv in runs.items():
            times[name].append(wall_time(argv, env))
    base = statistics.median(times[BASELINE])
    print(f"median of {args.runs} runs each, {sys.executable}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"  {name:<30} {median * 1000:7.1f} ms  {median / base:5.2f}× baseline")
    ratio = statistics.median(times["kafkatui --help"]) / base
    verdict = "within" if ratio <= GOAL else "OVER"
    print(f"kafkatui --help: {ratio:.2f}× bare Typer ({verdict} the {GOAL:.0f}× goal)")


if __name__ == "__main__":
    main()
