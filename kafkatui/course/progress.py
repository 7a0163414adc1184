"""Each user's progress through the course, in SQLite under the user data dir
(platformdirs: ~/.local/share/kafkatui/course.db on Linux, or `$KAFKATUI_COURSE_DB`)."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import platformdirs

from kafkatui.course.model import Lesson

_SCHEMA = """
CREATE TABLE IF NOT EXISTS progress (
    lesson_id TEXT PRIMARY KEY,
    step INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0
)
"""


class LessonState(StrEnum):
    DONE = "done"
    CURRENT = "current"  # the first lesson not done: the one to take next
    LOCKED = "locked"  # after the current one: the course is taken in order


@dataclass(frozen=True)
class LessonStatus:
    lesson: Lesson
    state: LessonState
    step: int  # the step reached (0 before starting)


COURSE_DB_ENV = "KAFKATUI_COURSE_DB"


def default_path() -> Path:
    """`$KAFKATUI_COURSE_DB` (a classroom machine's shared account, the tests), else the
    user data dir's course.db."""
    env = os.environ.get(COURSE_DB_ENV)
    if env:
        return Path(env).expanduser()
    return platformdirs.user_data_path("kafkatui") / "course.db"


class Progress:
    """The lessons done and the step reached in each, per user (one database file)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_path()

    def _connect(self) -> sqlite3.Connection:
        """The database, created on the first write: looking (the welcome screen asks
        whether the course was begun) leaves no file behind."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path)
        db.execute(_SCHEMA)
        return db

    def _rows(self) -> dict[str, tuple[int, bool]]:
        if not self.path.exists():
            return {}
        with self._connect() as db:
            return {lesson: (step, bool(done)) for lesson, step, done in db.execute("SELECT * FROM progress")}

    @property
    def started(self) -> bool:
        """Has this user begun the course at all? (The welcome screen offers it if not.)"""
        return bool(self._rows())

    def statuses(self, lessons: list[Lesson]) -> list[LessonStatus]:
        rows = self._rows()
        statuses, current_seen = [], False
        for lesson in lessons:
            step, done = rows.get(lesson.id, (0, False))
            if done:
                state = LessonState.DONE
            elif not current_seen:
                state, current_seen = LessonState.CURRENT, True
            else:
                state = LessonState.LOCKED
            statuses.append(LessonStatus(lesson, state, step))
        return statuses

    def status(self, lessons: list[Lesson], lesson_id: str) -> LessonStatus:
        return next(s for s in self.statuses(lessons) if s.lesson.id == lesson_id)

    def save_step(self, lesson_id: str, step: int) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO progress (lesson_id, step) VALUES (?, ?) "
                "ON CONFLICT (lesson_id) DO UPDATE SET step = excluded.step",
                (lesson_id, step),
            )

    def mark_done(self, lesson_id: str) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO progress (lesson_id, step, done) VALUES (?, 0, 1) "
                "ON CONFLICT (lesson_id) DO UPDATE SET done = 1",
                (lesson_id,),
            )

    def reset(self, lesson_id: str) -> None:
        """Take the lesson again from its first step (the lessons after it stay as they are)."""
        with self._connect() as db:
            db.execute("DELETE FROM progress WHERE lesson_id = ?", (lesson_id,))
