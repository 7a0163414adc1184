"""`kafkatui lesson list|start|present|status|reset`: the guided course from the command line.

The lessons are data (kafkatui/course/lessons/, FORMAT.md) and the progress is the
learner's own (`course.progress`, SQLite, `$KAFKATUI_COURSE_DB` to put it elsewhere).
A lesson runs on a cluster of its own, in memory and seeded, never on the data dir's:
its starting cluster replaces every topic, and a learner's own topics are not the
lesson's to delete. `start` opens the workbench on the lesson; off a terminal it says
how instead. `reset` takes a lesson back to step 1 and shows the starting cluster it
rebuilds, the same every time. `present` is teacher mode: the same lesson full-screen for
a projector, its steps moved by the presenter, its checks still live.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from kafkatui.cli.context import console, engine_only, fail, options, run_async, stdin_is_interactive
from kafkatui.cli.output import print_json
from kafkatui.course.model import Lesson, load_lessons
from kafkatui.course.progress import LessonState, LessonStatus, Progress

if TYPE_CHECKING:
    from kafkatui.backends.embedded import EmbeddedBackend
    from kafkatui.common.clock import ManualClock
    from kafkatui.tui.app import KafkaTuiApp

app = typer.Typer(
    help="The guided course: list the lessons, start one in the workbench, see your progress, reset one.",
    no_args_is_help=True,
)

DEFAULT_SEED = 0  # the lessons' clusters are seeded: the same placement for every learner
KSQL_PORT = 8088  # ksqlDB's own default (ecosystem/ksql/service.DEFAULT_PORT), kept off the import path
CLOCK_TICK_S = 0.1  # a manual_clock lesson's clock moves in steps this long, at the wall's pace

LessonRef = Annotated[str, typer.Argument(metavar="N", help="The lesson: its number (1, 2…) or its id.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Language = Annotated[
    str, typer.Option("--language", help="The lesson's language: en or pt (default: your locale).")
]


def _lessons() -> list[Lesson]:
    return load_lessons()


def _find(lessons: list[Lesson], ref: str) -> Lesson:
    for lesson in lessons:
        if ref == lesson.id or (ref.isdigit() and int(ref) == lesson.order):
            return lesson
    numbers = ", ".join(str(lesson.order) for lesson in lessons)
    raise typer.BadParameter(f"no lesson {ref!r}: the lessons are {numbers} (or their ids)", param_hint="N")


def _status_json(status: LessonStatus) -> dict[str, Any]:
    lesson = status.lesson
    steps = len(lesson.steps)
    return {
        "order": lesson.order,
        "id": lesson.id,
        "title": lesson.title,
        "state": str(status.state),
        "step": steps if status.state is LessonState.DONE else status.step,
        "steps": steps,
        "demo": lesson.demo or None,
        "manual_clock": lesson.cluster.manual_clock,
    }


def _language(ctx: typer.Context, language: str | None) -> str:
    from kafkatui.tui.i18n import detect_language

    if language is not None and language not in ("en", "pt"):
        raise typer.BadParameter("must be en or pt", param_hint="--language")
    return language or detect_language()


def _course(ctx: typer.Context, language: str | None) -> tuple[str, list[LessonStatus]]:
    """The language to speak (checked) and every lesson's status, in the course's order."""
    return _language(ctx, language), Progress().statuses(_lessons())


@app.command("list")
def list_lessons(
    ctx: typer.Context,
    json_out: Json = False,
    language: Language = None,  # type: ignore[assignment]
) -> None:
    """Every lesson in order: done (✓), current (▶, the one to take next) or locked."""
    lang, statuses = _course(ctx, language)
    if json_out:
        print_json([_status_json(s) for s in statuses])
        return
    marks = {LessonState.DONE: "✓", LessonState.CURRENT: "▶", LessonState.LOCKED: "locked"}
    table = Table("", "#", "Id", "Lesson", "Steps", "Demo", box=None)
    for s in statuses:
        row = _status_json(s)
        table.add_row(
            marks[s.state], str(row["order"]), s.lesson.id, s.lesson.title_in(lang),
            f"{row['step']}/{row['steps']}", s.lesson.demo or "—",
        )  # fmt: skip
    console.print(table)


@app.command("status")
def status(
    ctx: typer.Context,
    json_out: Json = False,
    language: Language = None,  # type: ignore[assignment]
) -> None:
    """How far you are: lessons done, and the current lesson's step."""
    lang, statuses = _course(ctx, language)
    done = [s for s in statuses if s.state is LessonState.DONE]
    current = next((s for s in statuses if s.state is LessonState.CURRENT), None)
    if json_out:
        print_json(
            {
                "done": len(done),
                "lessons": len(statuses),
                "current": None if current is None else _status_json(current),
            }
        )
        return
    console.print(f"{len(done)}/{len(statuses)} lessons done", markup=False)
    if current is None:
        console.print("the course is done: every lesson happened on a cluster in front of you", markup=False)
        return
    lesson = current.lesson
    step = lesson.steps[min(current.step, len(lesson.steps) - 1)]
    console.print(
        f"current: lesson {lesson.order} · {lesson.title_in(lang)} · step {current.step + 1}/"
        f"{len(lesson.steps)} · {step.in_language(lang).title}",
        markup=False,
    )
    console.print(f"continue with: kafkatui lesson start {lesson.order}", markup=False)


@app.command("start")
def start(
    ctx: typer.Context,
    ref: LessonRef,
    json_out: Json = False,
    language: Language = None,  # type: ignore[assignment]
) -> None:
    """Open the workbench on the lesson (at the step you reached), on a fresh seeded
    in-memory cluster built as the lesson starts. Off a terminal, say how instead."""
    bootstrap = options(ctx).bootstrap_server
    if bootstrap is not None:
        error = engine_only("kafkatui lesson start", bootstrap)
        raise fail(error.name, error.message)
    lang = _language(ctx, language)
    lessons = _lessons()
    lesson = _find(lessons, ref)
    state = Progress().status(lessons, lesson.id)
    if state.state is LessonState.LOCKED:
        current = next(s.lesson for s in Progress().statuses(lessons) if s.state is LessonState.CURRENT)
        raise fail(
            "INVALID_REQUEST",
            f"lesson {lesson.order} is locked: the course is taken in order, lesson {current.order} "
            f"({current.title_in(lang)}) comes first",
        )
    command = f"kafkatui lesson start {lesson.order}"
    if json_out or not (stdin_is_interactive() and console.is_terminal):
        how = {
            "lesson": _status_json(state),
            "command": command,
            "workbench": "L (the Lessons panel), choose the lesson, s",
        }
        if json_out:
            print_json(how)
            return
        console.print(
            f"lesson {lesson.order} · {lesson.title_in(lang)}: the workbench needs a terminal. Run "
            f"`{command}` in one, or in the workbench press L, choose the lesson and press s.",
            markup=False,
        )
        return
    workbench = lesson_app(lesson, seed=options(ctx).seed, language=lang)
    workbench.run()
    if workbench.return_code:
        raise typer.Exit(workbench.return_code)


@app.command("present")
def present(
    ctx: typer.Context,
    ref: LessonRef,
    language: Language = None,  # type: ignore[assignment]
) -> None:
    """Teacher mode: run the lesson full-screen for a projector.

    The step's text takes most of the screen (a heading on its own band, wide margins),
    the panel the step concerns beside it. You move through the steps: → / space / page
    down for the next, ← / page up to go back (the keys a presentation clicker sends;
    a field or the Partitions panel keeps its own arrows while it has the focus). The
    checks still run: a step the cluster shows done is marked ✓. Any lesson can be
    presented, locked or not, on a fresh seeded in-memory cluster as `start` uses;
    your own course progress is left as it is.
    """
    bootstrap = options(ctx).bootstrap_server
    if bootstrap is not None:
        error = engine_only("kafkatui lesson present", bootstrap)
        raise fail(error.name, error.message)
    lang = _language(ctx, language)
    lesson = _find(_lessons(), ref)
    if not (stdin_is_interactive() and console.is_terminal):
        console.print(
            f"lesson {lesson.order} · {lesson.title_in(lang)}: teacher mode needs a terminal. Run "
            f"`kafkatui lesson present {lesson.order}` in one.",
            markup=False,
        )
        return
    with tempfile.TemporaryDirectory(prefix="kafkatui-present-") as scratch:
        workbench = lesson_app(
            lesson, seed=options(ctx).seed, language=lang, present=True, course_db=Path(scratch) / "course.db"
        )
        workbench.run()
    if workbench.return_code:
        raise typer.Exit(workbench.return_code)


@app.command("reset")
def reset(
    ctx: typer.Context,
    ref: LessonRef,
    json_out: Json = False,
    language: Language = None,  # type: ignore[assignment]
) -> None:
    """Take the lesson back to step 1 and rebuild its starting cluster (shown: the one
    `start` opens, the same every time for a seed)."""
    lang = _language(ctx, language)
    lesson = _find(_lessons(), ref)
    Progress().reset(lesson.id)
    built = run_async(lambda: starting_cluster(lesson, options(ctx).seed))
    if json_out:
        print_json({"lesson": lesson.id, "order": lesson.order, "step": 0, "cluster": built})
        return
    console.print(f"lesson {lesson.order} · {lesson.title_in(lang)}: back to step 1", markup=False)
    clock = "a manual clock" if built["manual_clock"] else "the wall clock"
    console.print(f"its starting cluster: {built['brokers']} brokers on {clock}", markup=False)
    for topic in built["topics"]:
        leaders = ", ".join(f"P{p} on broker {leader}" for p, leader in enumerate(topic["leaders"]))
        console.print(
            f"  topic {topic['name']}: {topic['partitions']} partition(s), replication factor "
            f"{topic['replication_factor']}, {topic['records']} record(s); leaders {leaders}",
            markup=False,
        )
    if not built["topics"]:
        console.print("  no topics: the lesson has you create them", markup=False)


async def open_lesson_cluster(lesson: Lesson, seed: int | None) -> EmbeddedBackend:
    """The lesson's own cluster: in memory, seeded, with the lesson's brokers; on a
    ManualClock when its timing must replay (`manual_clock`), which `follow_wall_clock`
    then moves in fixed steps."""
    from kafkatui.backends.embedded import EmbeddedBackend
    from kafkatui.common.clock import ManualClock

    clock = ManualClock() if lesson.cluster.manual_clock else None
    return await EmbeddedBackend.open(
        None, brokers=lesson.cluster.brokers, clock=clock, seed=DEFAULT_SEED if seed is None else seed
    )


async def follow_wall_clock(clock: ManualClock) -> None:
    """A learner's ManualClock moves CLOCK_TICK_S at a time at the wall's pace: time
    passes as the learner expects, in steps that replay the same way (the pilots drive
    the clock themselves instead)."""
    step_ms = round(CLOCK_TICK_S * 1000)
    while True:
        await asyncio.sleep(CLOCK_TICK_S)
        await clock.advance(step_ms)


async def serve_lesson_services(backend: EmbeddedBackend, lesson: Lesson, *, ksql_port: int) -> None:
    """Run what the lesson's `[cluster] services` names beside its cluster, as the
    workbench runs them beside its own (`serve_backend`): a ksqlDB server on `ksql_port`
    (a free one if it is taken), said in a notice with the line that reaches it from a
    shell, since `kafkatui ksql` alone would look in the data dir, not at this cluster."""
    if "ksql" not in lesson.cluster.services:
        return
    from kafkatui.serve.host import ServiceHost

    services = ServiceHost(backend.cluster)
    try:
        url = await services.listen_ksql(ksql_port, backend=backend)
    except BaseException:
        await services.close()
        raise
    backend.attach_listeners(services)
    backend.notices.extend(services.notices)
    backend.notices.append(f"ksqlDB for this lesson: {url} (from a shell: kafkatui ksql --ksql-url {url})")


def lesson_app(
    lesson: Lesson,
    *,
    seed: int | None = None,
    language: str | None = None,
    ksql_port: int = KSQL_PORT,
    present: bool = False,
    course_db: Path | None = None,
) -> KafkaTuiApp:
    """The workbench opened on `lesson`, on the lesson's own cluster, with the services
    the lesson names beside it (for a presenter with `present`; `course_db`: progress
    kept elsewhere than the user's)."""
    from kafkatui.common.clock import ManualClock
    from kafkatui.tui.app import KafkaTuiApp

    ticking: list[asyncio.Task[None]] = []  # held: a task nobody references may be collected

    async def factory() -> EmbeddedBackend:
        backend = await open_lesson_cluster(lesson, seed)
        try:
            await serve_lesson_services(backend, lesson, ksql_port=ksql_port)
        except BaseException:
            await backend.close()
            raise
        if isinstance(backend.clock, ManualClock):
            ticking.append(asyncio.create_task(follow_wall_clock(backend.clock)))
        return backend

    return KafkaTuiApp(
        factory, language=language, welcome=False, lesson=lesson.id, present=present, course_db=course_db
    )


async def starting_cluster(lesson: Lesson, seed: int | None) -> dict[str, Any]:
    """Build the lesson's starting cluster and say what it holds."""
    from kafkatui.course.session import build_starting_cluster

    backend = await open_lesson_cluster(lesson, seed)
    # The configs the lesson sets (cleanup.policy=compact…), not every default.
    lesson_configs = {name for topic in lesson.cluster.topics for name, _ in topic.configs}
    try:
        await build_starting_cluster(backend, lesson.cluster)
        topics = []
        for name in backend.topic_names():
            described = backend.describe_topic(name)
            topics.append(
                {
                    "name": name,
                    "partitions": len(described.partitions),
                    "replication_factor": described.replication_factor,
                    "records": described.record_count,
                    "leaders": [p.leader for p in described.partitions],
                    "configs": {k: v for k, v in described.configs.items() if k in lesson_configs},
                }
            )
        return {
            "brokers": len(backend.brokers()),
            "manual_clock": lesson.cluster.manual_clock,
            "topics": topics,
        }
    finally:
        await backend.close()
