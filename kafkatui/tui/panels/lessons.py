"""The Lessons panel: the course map (done, current, locked) and the lesson being taken.

The lessons are data (kafkatui/course/lessons/, FORMAT.md); this panel only shows them,
feeds the cluster's events and the learner's sends to the lesson's checks, and docks
the current step beside the panel the step concerns (StepPane), highlighting the
widget to use. A step completes when its check holds on the real cluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.widgets import DataTable, Markdown, Static

from kafkatui.backends.base import Backend, ProduceTrace
from kafkatui.common.events import Event
from kafkatui.course.checks import Produced
from kafkatui.course.model import Lesson, load_lessons
from kafkatui.course.progress import LessonState, Progress
from kafkatui.course.session import LessonRun, replaced_topics
from kafkatui.tui.i18n import t
from kafkatui.tui.panels.base import Panel, TopicsChanged, reports_errors
from kafkatui.tui.panels.lessons_present import PresenterPane
from kafkatui.tui.panels.lessons_step import TARGET, StepPane
from kafkatui.tui.screens.confirm import ConfirmScreen

_LOCKED = "this lesson is locked: finish the ones before it first"
# One cell each: an emoji padlock is two wide in some terminals and not in others, and
# shifted the map's columns.
_MARK = {LessonState.DONE: "✓", LessonState.CURRENT: "▶", LessonState.LOCKED: "○"}


class LessonsPanel(Panel):
    """The guided course over the workbench's own cluster."""

    PANEL_ID = "lessons"
    TITLE = "Lessons"
    TITLE_PT = "Lições"
    KEY = "L"  # the number keys are the panels'; the course is reached by L, the palette, the welcome

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "s", "start", "Start lesson", id="lessons.start",
            tooltip="Start (or continue) the chosen lesson: its starting cluster is rebuilt",
        ),
        Binding(
            "r", "reset", "Reset lesson", id="lessons.reset",
            tooltip="Take the chosen lesson again from step 1, on a freshly rebuilt starting cluster",
        ),
        Binding(
            "x", "close_lesson", "Close lesson", id="lessons.close",
            tooltip="Put the lesson away (its progress stays saved)",
        ),
    ]  # fmt: skip

    def __init__(self, backend: Backend, progress_path: Path | None = None) -> None:
        super().__init__(backend)
        self.lessons: list[Lesson] = load_lessons()
        self.progress_path = progress_path
        self.run: LessonRun | None = None
        self._target: tuple[str, str] | None = None  # (panel id, selector) highlighted
        self._shown: tuple[object, ...] | None = None  # what the pane last drew (`_drawn_state`)
        self._course_cluster = False  # a lesson rebuilt this cluster: its topics are the course's
        # Teacher mode (`present`): the presenter's step, and the steps the cluster showed done.
        self.presenting = False
        self.slide = 0
        self.done_steps: set[int] = set()

    @property
    def progress(self) -> Progress:
        return Progress(self.progress_path or getattr(self.app, "course_db", None))

    @property
    def language(self) -> str:
        return getattr(self.app, "language", "en")

    def compose(self) -> ComposeResult:
        yield Static("", id="course-intro")
        table: DataTable[str] = DataTable(id="course-map", cursor_type="row", zebra_stripes=True)
        table.add_columns(" ", "#", "Lesson", "Steps", "Demo")
        yield table
        yield Markdown("", id="course-lesson-intro")  # the lesson's own text: Markdown, as written

    async def refresh_data(self) -> None:
        try:
            table = self.query_one("#course-map", DataTable)
        except NoMatches:
            return
        language = self.language
        self.query_one("#course-intro", Static).update(t("course_intro", language))
        row = table.cursor_row
        table.clear()
        for status in self.progress.statuses(self.lessons):
            lesson = status.lesson
            steps = len(lesson.steps)
            reached = steps if status.state is LessonState.DONE else status.step
            table.add_row(
                _MARK[status.state], str(lesson.order), lesson.title_in(language), f"{reached}/{steps}",
                lesson.demo or "—", key=lesson.id,
            )  # fmt: skip
        table.move_cursor(row=min(row, table.row_count - 1))
        self._show_intro()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_intro()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.run_worker(self.action_start, exit_on_error=False)

    def _show_intro(self) -> None:
        lesson = self.selected
        if lesson is not None:
            self.query_one("#course-lesson-intro", Markdown).update(lesson.intro_in(self.language))

    @property
    def selected(self) -> Lesson | None:
        table = self.query_one("#course-map", DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return next(lesson for lesson in self.lessons if lesson.id == row_key.value)

    def unavailable(self, action: str) -> str | None:
        if action == "close_lesson" and self.run is None:
            return "no lesson is open"
        lesson = self.selected if action == "start" else None
        if lesson is not None and self.progress.status(self.lessons, lesson.id).state is LessonState.LOCKED:
            return _LOCKED
        return super().unavailable(action)

    # --- taking a lesson -------------------------------------------------------------

    @reports_errors
    async def action_start(self, lesson_id: str | None = None) -> None:
        lesson = self._lesson(lesson_id)
        if lesson is None:
            return
        status = self.progress.status(self.lessons, lesson.id)
        if status.state is LessonState.LOCKED:
            self.app.notify(_LOCKED, title=lesson.title_in(self.language), severity="warning")
            return
        await self._open_asking(lesson, 0 if status.state is LessonState.DONE else status.step)

    @reports_errors
    async def action_reset(self, lesson_id: str | None = None) -> None:
        lesson = self._lesson(lesson_id)
        if lesson is not None:
            self.progress.reset(lesson.id)
            await self._open_asking(lesson, 0)

    async def _open_asking(self, lesson: Lesson, step: int) -> None:
        """Open the lesson; first ask, if the cluster holds topics the course did not
        make: the starting cluster replaces every topic (the user's own data dir, not a
        lesson's cluster, may be open)."""
        theirs = [] if self._course_cluster else replaced_topics(self.backend.topic_names())
        if not theirs:
            await self._open(lesson, step)
            return
        shown = ", ".join(theirs[:5]) + (f" and {len(theirs) - 5} more" if len(theirs) > 5 else "")
        question = (
            f"Lesson {lesson.order} rebuilds its starting cluster: topic(s) {shown} and their records "
            "are deleted on every broker. (`kafkatui lesson start` runs a lesson on a cluster of its own.)"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._open(lesson, step), exit_on_error=False, group="lesson-open")

        self.app.push_screen(ConfirmScreen(question, yes="Start lesson"), answered)

    @reports_errors
    async def present(self, lesson_id: str) -> None:
        """Teacher mode: open the lesson for a presenter, who moves through its steps
        (`present_move`); any lesson, locked or not, since a class sees them in order."""
        lesson = self._lesson(lesson_id)
        if lesson is None:
            raise ValueError(f"no lesson {lesson_id!r}")
        self.presenting, self.slide, self.done_steps = True, 0, set()
        await self._open(lesson, 0)
        self._face_presenter()

    def present_move(self, delta: int) -> None:
        """The presenter's next (+1) or back (-1). A step not done yet becomes the one the
        checks watch (from now on); going back to a done one only shows it again."""
        run = self.run
        if run is None or not self.presenting:
            return
        steps = len(run.lesson.steps)
        self.slide = max(0, min(self.slide + delta, steps))
        watched = not run.done and run.step_index == self.slide
        if self.slide < steps and self.slide not in self.done_steps and not watched:
            run.jump_to(self.slide)
            self.run_worker(self._evaluate_and_show, exit_on_error=False, group="lesson-check")
        self._show_step()
        self._face_presenter()

    def _lesson(self, lesson_id: str | None) -> Lesson | None:
        if lesson_id is None:
            return self.selected
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    async def _open(self, lesson: Lesson, step: int) -> None:
        """Rebuild the starting cluster, then play the lesson from `step` (a lesson taken
        up again starts its step over on the fresh cluster: the checks look at what
        happens from now on)."""
        if self.run is not None:
            self.run.close()
            self.run = None
        run = LessonRun(self.backend, lesson)
        await run.reset()  # the run is the panel's once its starting cluster stands
        self.run = run
        self._course_cluster = True  # its topics are the lessons' from now on
        self.run.step_index = step
        self.progress.save_step(lesson.id, step)
        self.post_message(TopicsChanged())
        await self._ensure_pane()
        await self._evaluate()
        self._show_step()

    @property
    def _pane_class(self) -> type[StepPane] | type[PresenterPane]:
        return PresenterPane if self.presenting else StepPane

    async def _ensure_pane(self) -> None:
        try:
            self.screen.query_one(self._pane_class)
        except NoMatches:
            await self.screen.query_one("#main").mount(self._pane_class())

    def action_close_lesson(self) -> None:
        if self.run is not None:
            self.run.close()
        self.run = None
        self._highlight(None)
        for pane in self.screen.query(self._pane_class):
            pane.remove()
        self.refresh_bindings()

    # --- following the cluster -------------------------------------------------------

    def on_mount(self) -> None:
        super().on_mount()
        # Some checks look past the cluster's events (a Connect worker's REST API, the file
        # a sink writes, whose change no event announces): a run is checked each second too.
        self.set_interval(1.0, self._check_again)

    def _check_again(self) -> None:
        if self.run is not None and not self.run.done:
            self.run_worker(self._evaluate_and_show, exit_on_error=False, group="lesson-check")

    def on_engine_events(self, events: list[Event]) -> None:
        super().on_engine_events(events)
        if self.run is not None and not self.run.done:
            self.run_worker(self._evaluate_and_show, exit_on_error=False, group="lesson-check")

    def sent(self, trace: ProduceTrace) -> None:
        """A record the learner sent from the Produce panel (the app forwards it)."""
        if self.run is not None and not self.run.done:
            self.run.sent(Produced.from_trace(trace))
            self.run_worker(self._evaluate_and_show, exit_on_error=False, group="lesson-check")

    @reports_errors
    async def _evaluate_and_show(self) -> None:
        # Against what the pane shows, not what the run said before evaluating: a hint
        # is raised as the contradicting event is published, before this runs.
        await self._evaluate()
        if self.run is not None and self._shown != self._drawn_state():
            self._show_step()

    def _drawn_state(self) -> tuple[object, ...]:
        run = self.run
        assert run is not None
        return (run.lesson.id, run.step_index, run.hinted, run.done, self.slide, len(self.done_steps))

    async def _evaluate(self) -> None:
        run = self.run
        if run is None:
            return
        before = run.step_index
        outcome = await run.evaluate()
        if outcome.completed:  # the steps whose checks held: from `before` up to the one now open
            self.done_steps.update(range(before, len(run.lesson.steps) if run.done else run.step_index))
        if outcome.lesson_done:
            self.progress.mark_done(run.lesson.id)
            self.refresh_soon()
        elif outcome.completed:
            self.progress.save_step(run.lesson.id, run.step_index)
            self.refresh_soon()

    def _show_step(self) -> None:
        run = self.run
        if run is None:
            return
        try:
            pane = self.screen.query_one(self._pane_class)
        except NoMatches:
            return
        steps = run.lesson.steps
        if isinstance(pane, PresenterPane):
            hinted = run.hinted and run.step_index == self.slide
            done = frozenset(self.done_steps)
            pane.show(run.lesson, self.slide, done=done, hinted=hinted, language=self.language)
            finished = pane.finished
            step = steps[min(self.slide, len(steps) - 1)]
        else:
            pane.show(run.lesson, run.step_index, hinted=run.hinted, done=run.done, language=self.language)
            finished, step = run.done, run.step
        self._shown = self._drawn_state()
        if finished:
            self._highlight(None)
            return
        if step.panel and not self.presenting:  # the presenter's slide moves only when asked
            self.app.action_show_panel(step.panel)  # type: ignore[attr-defined]
        self._highlight((step.panel, step.widget) if step.panel and step.widget else None)

    def _face_presenter(self) -> None:
        """The shown step's panel beside the slide, and the slide focused, so the next
        → or space moves on (a click into the panel gives it the keys)."""
        run = self.run
        if run is None:
            return
        if self.slide < len(run.lesson.steps) and (panel := run.lesson.steps[self.slide].panel):
            self.app.action_show_panel(panel)  # type: ignore[attr-defined]
        for pane in self.screen.query(PresenterPane):
            self.app.call_after_refresh(pane.focus)  # after the panel switch's own focus

    def _highlight(self, target: tuple[str, str] | None) -> None:
        # The panels live on the app's base screen; a dialog (create topic…) may be on top.
        base = self.app.screen_stack[0] if self.app.screen_stack else self.screen
        for widget in base.query(f".{TARGET}"):
            widget.remove_class(TARGET)
        self._target = target
        if target is not None:
            panel_id, selector = target
            for panel in base.query(f"#panel-{panel_id}"):
                for widget in panel.query(selector):
                    widget.add_class(TARGET)

    def language_changed(self) -> None:
        """The app switched language: redraw the map and the step in the new one."""
        self.refresh_soon()
        self._show_step()
