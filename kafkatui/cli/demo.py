"""`kafkatui demo ...`: scripted scenarios that show a Kafka rule with numbers."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from typing import Annotated

import typer

from kafkatui.cli.context import console, engine_only, fail, options, run_async
from kafkatui.cli.output import print_json
from kafkatui.cli.pipe import closed_output
from kafkatui.lessons.acks import acks_scenario
from kafkatui.lessons.compaction import compaction_scenario
from kafkatui.lessons.delivery import MODES, delivery_scenario
from kafkatui.lessons.failover import failover_scenario
from kafkatui.lessons.idempotence import IdempotenceRun, idempotence_scenario
from kafkatui.lessons.lost_disk import lost_disk_scenario
from kafkatui.lessons.rebalance import rebalance_scenario
from kafkatui.lessons.rest_proxy import rest_proxy_scenario
from kafkatui.lessons.schema_registry import schema_registry_scenario

app = typer.Typer(
    help="Scripted scenarios: crash, count, explain (in memory, deterministic; --pace slows the telling).",
    no_args_is_help=True,
)


@app.callback()
def _needs_the_engine(ctx: typer.Context) -> None:
    """The lessons crash brokers and lose acks: kafkatui's own (in-memory) cluster only."""
    bootstrap = options(ctx).bootstrap_server
    if bootstrap is not None and ctx.invoked_subcommand is not None:
        error = engine_only(f"kafkatui demo {ctx.invoked_subcommand}", bootstrap)
        raise fail(error.name, error.message)


Pace = Annotated[
    float,
    typer.Option(
        "--pace",
        min=0,
        metavar="SECONDS",
        help="Wait this long after each line of the story, to talk about it; 0 tells it as fast "
        "as the machine goes (its clock is simulated: the story and its times stay the same).",
    ),
]


def _narrator(json_out: bool, pace: float) -> Callable[[str], None] | None:
    """Each line on stdout as it is told, then `pace` seconds of wall time (the lesson's
    clock is a ManualClock: nothing in the story moves while we wait)."""
    if json_out:
        return None

    def narrate(line: str) -> None:
        if closed_output.closed:
            return
        try:
            console.print(line, markup=False)
        except BrokenPipeError:
            # The reader left (`| head`). Lines are told from inside the engine (event
            # listeners, the cluster closing), where an exception would break it: the
            # story ends unheard, at full speed, and the command exits 141 after it.
            return
        if pace:
            time.sleep(pace)

    return narrate


class Acks(enum.StrEnum):
    zero = "0"
    one = "1"
    all = "all"


@app.command()
def acks(
    acks_: Annotated[Acks, typer.Option("--acks", help="The producer's acks: 0, 1 or all.")] = Acks.one,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same story.")] = 1,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object with the counts.")] = False,
    pace: Pace = 0,
) -> None:
    """Crash the partition leader mid-stream; count acknowledged records that were lost.

    acks=1 loses what the leader had acknowledged alone; acks=all with
    min.insync.replicas=2 loses nothing.
    """

    async def main() -> None:
        narrate = _narrator(json_out, pace)
        report = await acks_scenario(acks_.value, seed, narrate=narrate)
        if json_out:
            data = report.to_json()
            data.pop("story")
            print_json(data)
        elif report.lost:
            console.print(f"Lost acknowledged records: {', '.join(report.lost_values)}", markup=False)

    run_async(main)


class Language(enum.StrEnum):
    en = "en"
    pt = "pt"


LanguageOption = Annotated[
    Language | None, typer.Option("--language", help="en or pt (default: from your locale).")
]


def _language(language: Language | None) -> str:
    from kafkatui.tui.i18n import detect_language

    return language.value if language is not None else detect_language()


class FailoverScenario(enum.StrEnum):
    crash = "crash"
    lost_disk = "lost-disk"


@app.command()
def failover(
    scenario: Annotated[
        FailoverScenario,
        typer.Option(
            "--scenario",
            help="crash: the leader dies; lost-disk: a broker comes back with an empty database.",
        ),
    ] = FailoverScenario.crash,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same story.")] = 1,
    language: LanguageOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object with the outcome.")] = False,
    pace: Pace = 0,
) -> None:
    """A partition leader dies; a consumer keeps reading from the new leader.

    Shows who led before and after, and that nothing below the high watermark was lost.
    With --scenario lost-disk a broker is killed, its database deleted and it restarts at
    once: a new incarnation (KIP-858) that may not lead or count as in sync with an empty
    log; it refetches, rejoins the ISR, and every acknowledged record is still there.
    """

    async def main() -> None:
        narrate = _narrator(json_out, pace)
        told_in = _language(language)
        if scenario is FailoverScenario.lost_disk:
            lost = await lost_disk_scenario(seed, language=told_in, narrate=narrate)
            if json_out:
                print_json(lost.to_json())
            return
        report = await failover_scenario(seed, language=told_in, narrate=narrate)
        if json_out:
            print_json(report.to_json())

    run_async(main)


class Assignor(enum.StrEnum):
    range = "range"
    roundrobin = "roundrobin"
    sticky = "sticky"
    cooperative_sticky = "cooperative-sticky"


@app.command()
def rebalance(
    assignor: Annotated[
        Assignor, typer.Option("--assignor", help="partition.assignment.strategy of the consumers.")
    ] = Assignor.range,
    json_out: Annotated[bool, typer.Option("--json", help="The generations with their assignments.")] = False,
    pace: Pace = 0,
) -> None:
    """Three consumers share six partitions; one crashes, one joins: watch the generations.

    A crash is noticed after session.timeout.ms; a join rebalances at once. Compare how
    many partitions change reader with range, roundrobin and sticky, and how
    cooperative-sticky (KIP-429) hands partitions over in two rebalances without
    stopping the others.
    """

    async def main() -> None:
        narrate = _narrator(json_out, pace)
        report = await rebalance_scenario(assignor.value, narrate=narrate)
        if json_out:
            print_json(report.to_json())

    run_async(main)


@app.command()
def compaction(
    json_out: Annotated[
        bool, typer.Option("--json", help="Counts before/after, surviving offsets, latest value per key.")
    ] = False,
    pace: Pace = 0,
) -> None:
    """Customers change address many times, one is deleted: compact the log.

    Only the latest record of each key stays, at its own offset (gaps remain); the
    tombstone (null value) stays for delete.retention.ms, then goes too. The active
    segment is never cleaned.
    """

    async def main() -> None:
        narrate = _narrator(json_out, pace)
        report = await compaction_scenario(narrate=narrate)
        if json_out:
            print_json(report.to_json())

    run_async(main)


@app.command()
def idempotence(
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same story.")] = 1,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object with both runs' counts.")] = False,
    pace: Pace = 0,
) -> None:
    """Lose some acknowledgements; the producer retries. Count the copies in the log.

    The same schedule runs with enable.idempotence=false (each lost ack becomes a
    duplicate record) and true (KIP-98: the leader recognises the retried batch by its
    producer id and sequence numbers, drops it and answers with the first offset).
    """

    async def main() -> None:
        narrate = _narrator(json_out, pace)
        report = await idempotence_scenario(seed, narrate=narrate)
        if json_out:
            print_json(report.to_json())
            return
        console.print()
        for run in (report.off, report.on):
            console.print(_idempotence_summary(run), markup=False)

    run_async(main)


def _idempotence_summary(run: IdempotenceRun) -> str:
    return (
        f"enable.idempotence={str(run.idempotence).lower():<5}  sent {run.sent}, acked {run.acked}, "
        f"acks lost {run.acks_lost}, records in log {run.records_in_log}, duplicates in log "
        f"{run.duplicates_in_log}, duplicates dropped by the broker {run.duplicates_dropped}"
    )


class DeliveryMode(enum.StrEnum):
    at_most_once = MODES[0]
    at_least_once = MODES[1]
    exactly_once = MODES[2]


@app.command()
def delivery(
    mode: Annotated[
        DeliveryMode,
        typer.Option("--mode", help="Commit before the work, after it, or in one transaction with it."),
    ] = DeliveryMode.at_least_once,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same crash point.")] = 1,
    json_out: Annotated[bool, typer.Option("--json", help="The counts as one JSON object.")] = False,
    pace: Pace = 0,
) -> None:
    """A consume → process → produce pipeline crashes mid-batch; count lost and duplicated.

    at-most-once commits first (the crash loses work, never repeats it); at-least-once
    commits after (never loses, but repeats the crashed batch's work); exactly-once puts
    the output and the offsets in one transaction read with read_committed (neither).
    """

    async def main() -> None:
        narrate = _narrator(json_out, pace)
        report = await delivery_scenario(mode.value, seed, narrate=narrate)
        if json_out:
            print_json(report.to_json())

    run_async(main)


@app.command("schema-registry")
def schema_registry(
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same orders.")] = 1,
    language: LanguageOption = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Versions, framing bytes, records and refusals as one JSON object.")
    ] = False,
) -> None:
    """Register a schema, produce Avro, evolve it; watch a bad record and incompatible changes refused.

    Each schema gets an id, and every record starts with it (magic byte 0, the 4-byte id,
    then the payload): the lesson shows those bytes. A field added with a default is
    compatible; a type change is not, nor (under FULL) a field removed without a default.
    """

    async def main() -> None:
        narrate = None if json_out else (lambda line: console.print(line, markup=False))
        report = await schema_registry_scenario(seed, _language(language), narrate=narrate)
        if json_out:
            print_json(report.to_json())

    run_async(main)


@app.command("rest-proxy")
def rest_proxy(
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same orders.")] = 1,
    language: LanguageOption = None,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json", help="Offsets, the log, records read, the group and the requests as one JSON object."
        ),
    ] = False,
) -> None:
    """Produce and consume over HTTP: a REST Proxy on an in-memory cluster, real requests, curl lines.

    One POST produces two orders (they are records in the log like any client's); a
    consumer instance subscribes, reads them back over HTTP and is a real member of its
    group; it commits, and deleting it leaves the group. Each request is shown as the
    curl command that sends it.
    """

    async def main() -> None:
        narrate = None if json_out else (lambda line: console.print(line, markup=False, highlight=False))
        report = await rest_proxy_scenario(seed, _language(language), narrate=narrate)
        if json_out:
            print_json(report.to_json())

    run_async(main)
