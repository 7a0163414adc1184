"""Teacher mode's slide: one step of a lesson, big, beside the panel it concerns.

`kafkatui lesson present N` opens the workbench with this pane in place of the learner's
StepPane. The presenter moves through the steps (→ / space / page down: next, ← / page
up: back, the keys a presentation clicker sends); the lesson's checks still run on the
cluster, and a step the cluster has shown done is marked ✓. A terminal cannot change its
font, so "larger" is room: the pane takes most of the screen, the step's title is a
heading on a band of its own, the text has wide margins and space between paragraphs.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

from kafkatui.course.model import Lesson
from kafkatui.tui.i18n import t


class PresenterPane(VerticalScroll):
    """The slide the Lessons panel feeds in teacher mode: `shown` is the presenter's
    step (len(steps): the closing slide), `done` the steps the cluster showed done."""

    # Its own, over VerticalScroll's page keys: the slide has the focus while presenting.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right,space,pagedown", "app.present(1)", "Next step", id="present.next",
                tooltip="The next step (a clicker's page down too)"),
        Binding("left,pageup", "app.present(-1)", "Step back", id="present.back",
                tooltip="The step before (a clicker's page up too)"),
    ]  # fmt: skip

    def __init__(self) -> None:
        super().__init__(id="lesson-present")
        self.lesson: Lesson | None = None
        self.shown = 0
        self.done: frozenset[int] = frozenset()
        self.hinted = False
        self.language = "en"

    def compose(self) -> ComposeResult:
        yield Static("", id="present-lesson")
        yield Static("", id="present-title")
        yield Markdown("", id="present-body")
        yield Static("", id="present-hint")
        yield Static("", id="present-status")
        yield Static("", id="present-keys")

    @property
    def finished(self) -> bool:
        """The closing slide is shown (after the last step)."""
        return self.lesson is not None and self.shown >= len(self.lesson.steps)

    def show(self, lesson: Lesson, shown: int, *, done: frozenset[int], hinted: bool, language: str) -> None:
        self.lesson, self.shown, self.done, self.hinted = lesson, shown, done, hinted
        self.language = language
        self._draw()

    def _draw(self) -> None:
        lesson, language = self.lesson, self.language
        if lesson is None:
            return
        steps = len(lesson.steps)
        self.query_one("#present-lesson", Static).update(
            f"{t('course_lesson', language)} {lesson.order} · {lesson.title_in(language)}"
        )
        title = self.query_one("#present-title", Static)
        body = self.query_one("#present-body", Markdown)
        hint = self.query_one("#present-hint", Static)
        status = self.query_one("#present-status", Static)
        if self.finished:
            title.update(f"{t('course_lesson_done', language)} · {len(self.done)}/{steps} ✓")
            demo = f"\n\n`kafkatui demo {lesson.demo}`: {t('course_demo', language)}" if lesson.demo else ""
            body.update(t("course_done_text", language) + demo)
            hint.display = False
            status.update("")
        else:
            step = lesson.steps[self.shown].in_language(language)
            title.update(f"{t('course_step', language)} {self.shown + 1}/{steps} · {step.title}")
            body.update(step.body)
            hint.update(f"💡 {step.hint}")
            hint.display = self.hinted and self.shown not in self.done
            marked = self.shown in self.done
            status.update(t("present_done" if marked else "present_waiting", language))
            status.set_class(marked, "-done")
        self.query_one("#present-keys", Static).update(t("present_keys", language))
