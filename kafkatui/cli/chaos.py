"""`kafkatui chaos run`: seeded fault schedules against throwaway clusters, and the
Kafka promises each run kept or broke (`kafkatui.chaos`)."""

from __future__ import annotations

import sys
from collections import Counter
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from kafkatui.cli.context import console, engine_only, err_console, fail, options, run_async
from kafkatui.cli.output import print_json

if TYPE_CHECKING:
    from kafkatui.chaos.run import RunResult
    from kafkatui.chaos.runner import ChaosReport

FAMILIES = ("crash", "stop", "network", "controller", "restart", "disk")  # kafkatui.chaos.plan.Family
MAX_ROWS = 40  # more runs than this: the table lists the ones that broke a promise
MAX_EXPLAINED = 10  # runs whose violations are spelled out below the table

app = typer.Typer(
    help="Seeded fault schedules against throwaway clusters; check what Kafka promises.",
    no_args_is_help=True,
)


@app.callback()
def _needs_the_engine(ctx: typer.Context) -> None:
    """Chaos crashes brokers and damages databases: kafkatui's own clusters only."""
    bootstrap = options(ctx).bootstrap_server
    if bootstrap is not None and ctx.invoked_subcommand is not None:
        error = engine_only(f"kafkatui chaos {ctx.invoked_subcommand}", bootstrap)
        raise fail(error.name, error.message)


def _families(text: str) -> frozenset[str]:
    names = frozenset(n.strip() for n in text.split(",") if n.strip())
    unknown = sorted(names - set(FAMILIES))
    if unknown or not names:
        raise typer.BadParameter(
            f"{', '.join(unknown) or 'nothing'} is not a fault family; choose from {', '.join(FAMILIES)}",
            param_hint="--faults",
        )
    return names


@app.command()
def run(
    seed: Annotated[
        int, typer.Option("--seed", help="The first run's seed; the others follow (S, S+1, ...).")
    ] = 1,
    runs: Annotated[int, typer.Option("--runs", min=1, help="How many runs, one seed each.")] = 20,
    faults: Annotated[
        str,
        typer.Option(
            "--faults",
            metavar="LIST",
            help="Fault families to mix, comma-separated: crash (kill -9 a broker), stop (controlled "
            "shutdown), network (cuts, latency, loss, lost acks), controller (kill the active "
            "controller), restart (the whole cluster, on its data dir), disk (a restart with one "
            "broker's database deleted, emptied or damaged).",
        ),
    ] = ",".join(FAMILIES),
    steps: Annotated[
        int, typer.Option("--steps", min=1, help="Steps per run (a few ms of cluster time each).")
    ] = 16,
    json_out: Annotated[
        bool, typer.Option("--json", help="One JSON document: every run's faults, counts and violations.")
    ] = False,
) -> None:
    """Crash, cut, restart and damage a 3-broker cluster under load; check Kafka's promises.

    Each run is one seed: a schedule of faults (which, when, on which broker) played on
    a fresh cluster in memory (or in a temporary data dir, for restarts) on a manual
    clock, while producers write with acks 0, 1 and all, idempotent and in
    transactions, and a consumer group reads read_committed and commits. Then every
    broker is started and every link healed, and the run checks: every record
    acknowledged with acks=all (min.insync.replicas=2) is in the log at its offset, in
    order; idempotent and transactional records are there once; read_committed shows
    committed transactions whole and aborted ones never; committed offsets never go
    backwards; the replicas converge.

    The same seed plays the same faults with the same result, so a run that broke a
    promise replays exactly with `kafkatui chaos run --seed S --runs 1`. Exit code 1 if
    any run broke one.
    """
    families = _families(faults)

    async def main() -> ChaosReport:
        from kafkatui.chaos.plan import ChaosConfig, Family
        from kafkatui.chaos.runner import run_seeds

        config = ChaosConfig(steps=steps, families=frozenset(Family(f) for f in families))
        seeds = range(seed, seed + runs)
        if not err_console.is_terminal:
            return await run_seeds(seeds, config)
        with Progress(
            TextColumn("chaos"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[broken]}"),
            TimeRemainingColumn(), console=err_console, transient=True,
        ) as progress:  # fmt: skip
            task = progress.add_task("runs", total=runs, broken="")
            broken = 0

            def advance(result: RunResult) -> None:
                nonlocal broken
                broken += not result.ok
                progress.update(task, advance=1, broken=f"{broken} broke a promise" if broken else "")

            return await run_seeds(seeds, config, on_result=advance)

    report = run_async(main)
    if json_out:
        print_json(report.to_json())
    else:
        _print(report)
    if report.failed:
        first = report.failed[0].seed
        raise fail(
            "CHAOS_VIOLATION",
            f"{len(report.failed)} of {len(report.results)} runs broke a Kafka promise; replay the first "
            f"with: {report.replay_command(first)}",
        )


def _fault_summary(result: RunResult) -> str:
    kinds = Counter(f.kind for f in result.faults)
    return ", ".join(f"{kind}×{n}" if n > 1 else kind for kind, n in kinds.items()) or "none"


def _print(report: ChaosReport) -> None:
    shown = report.results if len(report.results) <= MAX_ROWS else report.failed[:MAX_ROWS]
    if shown:
        table = Table("Seed", "Faults injected", "Records acked", "Violations", title="Chaos runs")
        for r in shown:
            broken = ", ".join(dict.fromkeys(v.promise.value for v in r.violations))
            table.add_row(
                str(r.seed),
                escape(f"{len(r.faults)}: {_fault_summary(r)}" if r.faults else "none"),
                str(r.acked),
                f"[bold red]{broken}[/]" if broken else "[green]none[/]",
            )
        console.print(table)
    totals = report.totals()
    hidden = len(report.results) - len(shown)
    if hidden:
        console.print(
            f"({hidden} runs that kept every promise not listed; --json lists every run)", markup=False
        )
    console.print(
        f"{totals['runs']} runs, {totals['faults']} faults injected, {totals['acked']} records acknowledged "
        f"(acks=all, or in a committed transaction), {totals['runs_with_violations']} runs broke a promise",
        markup=False,
    )
    for r in report.failed[:MAX_EXPLAINED]:
        console.print(f"\nseed {r.seed}: {'; '.join(str(f) for f in r.faults) or 'no faults'}", markup=False)
        for repair in r.repairs:
            console.print(f"  while healing: {repair}", markup=False)
        for v in r.violations:
            console.print(f"  {v.promise.value}: {v.detail}", markup=False)
        console.print(f"  replay: {report.replay_command(r.seed)}", markup=False)
    if len(report.failed) > MAX_EXPLAINED:
        console.print(
            f"\n({len(report.failed) - MAX_EXPLAINED} more runs broke a promise; --json has them all)"
        )
    sys.stdout.flush()
