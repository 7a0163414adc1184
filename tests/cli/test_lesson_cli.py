"""`kafkatui lesson list|start|status|reset`: the course map, progress and starting
clusters from the command line (progress in a private course.db per test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kafkatui.course.progress import COURSE_DB_ENV, Progress
from tests.cli.conftest import CliFn


@pytest.fixture
def progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Progress:
    path = tmp_path / "course.db"
    monkeypatch.setenv(COURSE_DB_ENV, str(path))
    return Progress(path)


def test_list_shows_done_current_and_locked_from_the_saved_progress(cli: CliFn, progress: Progress) -> None:
    progress.mark_done("brokers")
    progress.save_step("topics", 2)
    lessons = cli("lesson", "list", "--json").ok().json()
    assert [(row["order"], row["id"], row["state"]) for row in lessons[:3]] == [
        (1, "brokers", "done"),
        (2, "topics", "current"),
        (3, "partitions", "locked"),
    ]
    assert lessons[1]["step"] == 2 and lessons[1]["steps"] == 3
    assert all(row["state"] == "locked" for row in lessons[2:])
    text = cli("lesson", "list", "--language", "pt").ok().stdout
    assert "Tópicos, o log e os offsets" in text and "2/3" in text


def test_status_names_the_current_step_and_how_to_go_on(cli: CliFn, progress: Progress) -> None:
    progress.mark_done("brokers")
    progress.save_step("topics", 1)
    out = cli("lesson", "status", "--language", "en").ok().stdout
    assert "1/" in out.splitlines()[0] and "lessons done" in out
    assert "lesson 2 · Topics, the log and offsets · step 2/3 · Produce three records" in out
    assert "kafkatui lesson start 2" in out
    status = cli("lesson", "status", "--json").ok().json()
    assert status["done"] == 1 and status["current"]["id"] == "topics" and status["current"]["step"] == 1


def test_start_off_a_terminal_says_how_and_a_locked_lesson_is_refused(cli: CliFn, progress: Progress) -> None:
    how = cli("lesson", "start", "brokers", "--language", "en").ok().stdout
    assert "kafkatui lesson start 1" in how and "press L" in how
    assert cli("lesson", "start", "1", "--json").ok().json()["command"] == "kafkatui lesson start 1"
    cli("lesson", "start", "3").assert_error("INVALID_REQUEST", "lesson 3 is locked", "lesson 1")
    cli("lesson", "start", "42").assert_usage_error("no lesson '42'")
    cli("lesson", "start", "1", opts=["--bootstrap-server", "localhost:1"]).assert_error(
        "FEATURE_UNAVAILABLE", "kafkatui's own cluster"
    )


def test_reset_forgets_the_progress_and_rebuilds_the_same_starting_cluster(
    cli: CliFn, progress: Progress
) -> None:
    progress.mark_done("brokers")
    progress.mark_done("topics")
    progress.save_step("partitions", 2)
    first = cli("lesson", "reset", "3", "--json").ok().json()
    assert first["lesson"] == "partitions" and first["step"] == 0
    (sales,) = first["cluster"]["topics"]
    assert (sales["name"], sales["partitions"], sales["replication_factor"], sales["records"]) == (
        "sales", 3, 3, 2,
    )  # fmt: skip
    assert cli("lesson", "reset", "partitions", "--json").ok().json() == first  # seeded: the same cluster
    assert progress.status(_lessons(), "partitions").step == 0
    assert progress.status(_lessons(), "topics").state == "done"  # the others stay as they were
    text = cli("lesson", "reset", "3", "--language", "en").ok().stdout
    assert "back to step 1" in text and "topic sales: 3 partition(s)" in text


def _lessons():  # type: ignore[no-untyped-def]
    from kafkatui.course.model import load_lessons

    return load_lessons()


def test_present_explains_teacher_mode_and_needs_a_terminal_and_the_own_cluster(
    cli: CliFn, progress: Progress
) -> None:
    help_text = cli("lesson", "present", "--help").ok().stdout
    assert "projector" in help_text and "space" in help_text and "✓" in help_text
    out = cli("lesson", "present", "3").ok().stdout  # locked for this learner: a class may see it
    assert "teacher mode needs a terminal" in out and "kafkatui lesson present 3" in out
    cli("lesson", "present", "1", opts=["--bootstrap-server", "localhost:1"]).assert_error(
        "FEATURE_UNAVAILABLE", "kafkatui lesson present"
    )
    assert not progress.started  # presenting leaves the presenter's own progress alone
