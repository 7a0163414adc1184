"""The current step of a lesson, docked beside the panel the learner acts on."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

from kafkatui.course.model import Lesson
from kafkatui.tui.i18n import t

TARGET = "-lesson-target"  # the class that highlights the widget a step concerns


class StepPane(VerticalScroll):
    """The lesson's title, the step's text and (once the learner strays) its hint. It
    stays on screen while the learner moves between panels; the Lessons panel feeds it."""

    def __init__(self) -> None:
        super().__init__(id="lesson-step")
        self.lesson: Lesson | None = None
        self.step_index = 0
        self.hinted = False
        self.done = False
        self.language = "en"

    def compose(self) -> ComposeResult:
        yield Static("", id="lesson-step-lesson")
        yield Static("", id="lesson-step-title")
        yield Markdown("", id="lesson-step-body")
        yield Static("", id="lesson-step-hint")
        yield Static("", id="lesson-step-keys")

    def show(self, lesson: Lesson, step_index: int, *, hinted: bool, done: bool, language: str) -> None:
        self.lesson, self.step_index, self.hinted, self.done = lesson, step_index, hinted, done
        self.language = language
        self._draw()

    def _draw(self) -> None:
        lesson, language = self.lesson, self.language
        if lesson is None:
            return
        self.query_one("#lesson-step-lesson", Static).update(
            f"{t('course_lesson', language)} {lesson.order} · {lesson.title_in(language)}"
        )
        hint = self.query_one("#lesson-step-hint", Static)
        body = self.query_one("#lesson-step-body", Markdown)
        title = self.query_one("#lesson-step-title", Static)
        if self.done:
            title.update(f"✓ {t('course_lesson_done', language)}")
            demo = f"\n\n`kafkatui demo {lesson.demo}`: {t('course_demo', language)}" if lesson.demo else ""
            body.update(t("course_done_text", language) + demo)
            hint.display = False
        else:
            step = lesson.steps[self.step_index].in_language(language)
            title.update(
                f"{t('course_step', language)} {self.step_index + 1}/{len(lesson.steps)} · {step.title}"
            )
            body.update(step.body)
            hint.update(f"💡 {step.hint}")
            hint.display = self.hinted
        self.query_one("#lesson-step-keys", Static).update(t("course_keys", language))
