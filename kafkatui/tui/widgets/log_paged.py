"""What the Log panel's view and the Records panel's table share: a virtual widget
(Textual's Line API) over pages of a topic's log read through `Backend.read_log` into
`log_pages.LogPages`. Each render first asks for the pages its visible lines need
(`read_visible`, the subclass's choice of pages); each page is read in a worker and, once
it is in, the widget redraws and hears of it (`page_read`). A failed read is a
`ReadFailed` message for the panel to report. Styles are worked out once per theme or
focus change, not per line."""

from __future__ import annotations

from collections.abc import Iterable

from rich.style import Style
from textual.geometry import Region
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kafkatui.backends.base import Backend
from kafkatui.common.errors import KafkaError
from kafkatui.tui.widgets.log_pages import LogPages


class PagedLogWidget(ScrollView, can_focus=True, inherit_bindings=False):
    """A scrolling widget that draws records from pages of one topic's log."""

    PAGES_GROUP = "log-pages"  # the workers' group, one per kind of widget

    class ReadFailed(Message):
        """Reading a page failed (a subclass's own, so handlers keep its name)."""

        def __init__(self, error: KafkaError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, backend: Backend, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.backend = backend
        self.topic: str | None = None
        self._paint: dict[str, Style] = {}

    # --- reading ---------------------------------------------------------------------

    def read_visible(self) -> None:
        """Ask for the pages the lines on screen need (`read_pages`)."""
        raise NotImplementedError

    def read_pages(self, pages: LogPages, partition: int, indexes: Iterable[int], log_end: int) -> None:
        """Read these pages of `partition` (those `LogPages.claim` gave), each in a worker."""
        for index in indexes:
            self.run_worker(
                self._read(pages, partition, index, log_end), group=self.PAGES_GROUP, exit_on_error=False
            )

    async def _read(self, pages: LogPages, partition: int, index: int, log_end: int) -> None:
        try:
            await pages.load(partition, index, log_end)
        except KafkaError as error:
            self.post_message(self.ReadFailed(error))
            return
        if pages is self.current_pages():  # not another topic's, shown since
            self.refresh()
            self.page_read(pages, partition, index)

    def current_pages(self) -> LogPages | None:
        raise NotImplementedError

    def page_read(self, pages: LogPages, partition: int, index: int) -> None:
        """A page is in (the widget is redrawing): tell whoever waits for its records."""

    # --- rendering -------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._paint = {}  # theme, CSS or focus changed

    def render_lines(self, crop: Region) -> list[Strip]:
        self.read_visible()
        self.prepare_render()
        return super().render_lines(crop)

    def prepare_render(self) -> None:
        """What one render computes once, not per line: the styles."""
        if not self._paint:
            base = self.rich_style
            self._paint = {
                name: base + self.get_component_rich_style(name) for name in self.COMPONENT_CLASSES
            }
            self._paint["base"] = base
