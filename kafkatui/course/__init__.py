"""The guided course: lessons as data files (FORMAT.md), checks on the real cluster,
each user's progress. UI-free; the Lessons panel and `kafkatui lesson` drive it."""

from kafkatui.course.checks import CHECKS, Produced
from kafkatui.course.model import LANGUAGES, Lesson, LessonError, Step, load_lessons
from kafkatui.course.progress import LessonState, Progress
from kafkatui.course.session import LessonRun, build_starting_cluster

__all__ = [
    "CHECKS",
    "LANGUAGES",
    "Lesson",
    "LessonError",
    "LessonRun",
    "LessonState",
    "Produced",
    "Progress",
    "Step",
    "build_starting_cluster",
    "load_lessons",
]
