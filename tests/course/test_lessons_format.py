"""The lessons as data: every lesson loads, in both languages, each step naming a known check."""

from __future__ import annotations

from pathlib import Path

import pytest

from kafkatui.course.model import LANGUAGES, LessonError, load_lesson, load_lessons
from kafkatui.engine.clients.partitioner import partition_for_key

LESSONS = Path(__file__).resolve().parents[2] / "kafkatui" / "course" / "lessons"


def test_every_lesson_loads_in_both_languages_in_order() -> None:
    lessons = load_lessons()
    assert [lesson.id for lesson in lessons][:9] == [
        "brokers", "topics", "partitions", "replication", "acks",
        "idempotence", "groups", "offsets", "compaction",
    ]  # fmt: skip
    for lesson in lessons:
        for step in lesson.steps:
            assert set(step.text) == set(LANGUAGES)
            assert all(step.text[language].hint for language in LANGUAGES)


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    target.mkdir()
    for file in (LESSONS / name).iterdir():
        (target / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_a_lesson_without_portuguese_fails(tmp_path: Path) -> None:
    lesson = _copy(tmp_path, "02-topics")
    (lesson / "pt.md").unlink()
    with pytest.raises(LessonError, match=r"no pt\.md"):
        load_lesson(lesson)  # type: ignore[arg-type]


def test_a_step_naming_an_unknown_check_fails(tmp_path: Path) -> None:
    lesson = _copy(tmp_path, "02-topics")
    toml = lesson / "lesson.toml"
    toml.write_text(toml.read_text().replace('check = "records_in_topic"', 'check = "no_such_check"'))
    with pytest.raises(LessonError, match="unknown check 'no_such_check'"):
        load_lesson(lesson)  # type: ignore[arg-type]


def test_a_step_without_a_check_fails(tmp_path: Path) -> None:
    lesson = _copy(tmp_path, "02-topics")
    toml = lesson / "lesson.toml"
    toml.write_text(toml.read_text().replace('check = "records_in_topic"\n', ""))
    with pytest.raises(LessonError, match="names no check"):
        load_lesson(lesson)  # type: ignore[arg-type]


def test_the_partitions_lesson_predicts_what_murmur2_gives() -> None:
    lesson = next(lesson for lesson in load_lessons() if lesson.id == "partitions")
    for step in lesson.steps:
        if step.check == "record_in_partition":
            assert partition_for_key(step.params["key"].encode(), 3) == step.params["partition"]
