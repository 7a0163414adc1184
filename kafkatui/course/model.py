"""A lesson of the course as data: its `lesson.toml` and one Markdown file per language.

The format is documented in FORMAT.md beside this module. Loading checks everything a
teacher can get wrong (a missing language, a step without a check, a check no one
registered, a step missing from one language's text) and raises `LessonError` naming
the file, so a broken lesson fails its test rather than a learner's session.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from kafkatui.course.checks import CHECKS

LANGUAGES = ("en", "pt")
SERVICES = frozenset({"ksql"})  # what a lesson's [cluster] may run beside it
_STEP_HEADING = re.compile(r"^## +([a-z0-9][a-z0-9-]*) *· *(.+?) *$", re.M)


class LessonError(ValueError):
    """A lesson's files do not follow FORMAT.md."""


@dataclass(frozen=True)
class SeedTopic:
    name: str
    partitions: int = 1
    replication_factor: int = 1
    configs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SeedRecords:
    """`count` records with `key` (None: keyless) and values `value` with {n} numbered."""

    topic: str
    count: int = 1
    key: str | None = None
    value: str = "{n}"


@dataclass(frozen=True)
class StartingCluster:
    """What a reset rebuilds: these topics with these records, nothing else, every broker
    running. `manual_clock`: the lesson's timing must replay (a session timeout, a
    retention deadline), so `kafkatui lesson start` opens it on a ManualClock."""

    topics: tuple[SeedTopic, ...] = ()
    records: tuple[SeedRecords, ...] = ()
    manual_clock: bool = False
    brokers: int = 3
    # What runs beside the lesson's own cluster (`kafkatui lesson start`), as the workbench
    # runs it beside its own: "ksql", a ksqlDB server (the ksqlDB panel and `kafkatui ksql`).
    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepText:
    title: str
    body: str  # Markdown
    hint: str  # shown when a watched event contradicts the step


@dataclass(frozen=True)
class Step:
    id: str
    check: str  # a name in checks.CHECKS
    params: dict[str, Any]
    panel: str  # the panel the learner acts on (its PANEL_ID)
    widget: str  # a CSS selector inside that panel to highlight, or ""
    text: dict[str, StepText]  # per language

    def in_language(self, language: str) -> StepText:
        return self.text.get(language) or self.text["en"]


@dataclass(frozen=True)
class Lesson:
    id: str
    order: int
    title: dict[str, str]
    intro: dict[str, str]  # Markdown before the first step, per language
    demo: str  # the `kafkatui demo <name>` that tells the same story without the learner
    cluster: StartingCluster
    steps: tuple[Step, ...] = field(default_factory=tuple)

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title["en"]

    def intro_in(self, language: str) -> str:
        return self.intro.get(language) or self.intro["en"]


def lessons_dir() -> Traversable:
    return resources.files("kafkatui").joinpath("course").joinpath("lessons")


def load_lessons(root: Traversable | None = None) -> list[Lesson]:
    """Every lesson under `root` (the package's own by default), in `order`."""
    root = root if root is not None else lessons_dir()
    lessons = [
        load_lesson(entry) for entry in root.iterdir() if entry.is_dir() and not entry.name.startswith("_")
    ]
    orders = [lesson.order for lesson in lessons]
    if len(set(orders)) != len(orders):
        raise LessonError(f"two lessons share an order: {sorted(orders)}")
    ids = [lesson.id for lesson in lessons]
    if len(set(ids)) != len(ids):
        raise LessonError(f"two lessons share an id: {sorted(ids)}")
    return sorted(lessons, key=lambda lesson: lesson.order)


def load_lesson(directory: Traversable) -> Lesson:
    where = directory.name
    try:
        data = tomllib.loads(directory.joinpath("lesson.toml").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LessonError(f"{where}: no lesson.toml") from None
    except tomllib.TOMLDecodeError as error:
        raise LessonError(f"{where}/lesson.toml: {error}") from None
    texts: dict[str, tuple[str, dict[str, StepText]]] = {}
    for language in LANGUAGES:
        try:
            markdown = directory.joinpath(f"{language}.md").read_text(encoding="utf-8")
        except FileNotFoundError:
            raise LessonError(
                f"{where}: no {language}.md (every lesson is in {', '.join(LANGUAGES)})"
            ) from None
        texts[language] = _parse_markdown(markdown, f"{where}/{language}.md")
    try:
        title = {language: str(data["title"][language]) for language in LANGUAGES}
        steps = tuple(_step(raw, texts, where) for raw in data.get("steps", []))
        lesson = Lesson(
            id=str(data["id"]),
            order=int(data["order"]),
            title=title,
            intro={language: texts[language][0] for language in LANGUAGES},
            demo=str(data.get("demo", "")),
            cluster=_cluster(data.get("cluster", {}), where),
            steps=steps,
        )
    except KeyError as missing:
        raise LessonError(f"{where}/lesson.toml: missing {missing}") from None
    if not lesson.steps:
        raise LessonError(f"{where}: a lesson has at least one step")
    for language, (_, found) in texts.items():
        extra = set(found) - {step.id for step in lesson.steps}
        if extra:
            raise LessonError(f"{where}/{language}.md: steps not in lesson.toml: {sorted(extra)}")
    return lesson


def _parse_markdown(text: str, where: str) -> tuple[str, dict[str, StepText]]:
    """The intro (before the first `## id · Title`), and per step its body and hint (its
    last block quote, `> ...`)."""
    headings = list(_STEP_HEADING.finditer(text))
    intro = text[: headings[0].start()].strip() if headings else text.strip()
    steps: dict[str, StepText] = {}
    for index, heading in enumerate(headings):
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        body_lines, hint_lines = [], []
        for line in text[heading.end() : end].strip().splitlines():
            (hint_lines if line.startswith(">") else body_lines).append(line)
        hint = " ".join(line.lstrip("> ").strip() for line in hint_lines).strip()
        if not hint:
            raise LessonError(f"{where}: step {heading.group(1)!r} has no hint (a `> ` line)")
        steps[heading.group(1)] = StepText(heading.group(2), "\n".join(body_lines).strip(), hint)
    return intro, steps


def _step(raw: dict[str, Any], texts: dict[str, tuple[str, dict[str, StepText]]], where: str) -> Step:
    step_id = str(raw.get("id", ""))
    check = raw.get("check")
    if not check:
        raise LessonError(f"{where}/lesson.toml: step {step_id!r} names no check")
    if check not in CHECKS:
        raise LessonError(f"{where}/lesson.toml: step {step_id!r}: unknown check {check!r}")
    params = dict(raw.get("params", {}))
    problem = CHECKS[check].bad_params(params)
    if problem:
        raise LessonError(f"{where}/lesson.toml: step {step_id!r}: check {check!r}: {problem}")
    text = {}
    for language in LANGUAGES:
        found = texts[language][1].get(step_id)
        if found is None:
            raise LessonError(f"{where}/{language}.md: no text for step {step_id!r}")
        text[language] = found
    return Step(step_id, check, params, str(raw.get("panel", "")), str(raw.get("widget", "")), text)


def _cluster(raw: dict[str, Any], where: str) -> StartingCluster:
    topics = tuple(
        SeedTopic(
            str(t["name"]),
            int(t.get("partitions", 1)),
            int(t.get("replication_factor", 1)),
            tuple((str(k), str(v)) for k, v in t.get("configs", {}).items()),
        )
        for t in raw.get("topics", [])
    )
    records = tuple(
        SeedRecords(str(r["topic"]), int(r.get("count", 1)), r.get("key"), str(r.get("value", "{n}")))
        for r in raw.get("records", [])
    )
    services = tuple(str(s) for s in raw.get("services", []))
    unknown = sorted(set(services) - SERVICES)
    if unknown:
        known = sorted(SERVICES)
        raise LessonError(f"{where}/lesson.toml: [cluster] services: unknown {unknown} (known: {known})")
    return StartingCluster(
        topics, records, bool(raw.get("manual_clock", False)), int(raw.get("brokers", 3)), services
    )
