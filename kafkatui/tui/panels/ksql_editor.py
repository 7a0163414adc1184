"""The ksqlDB panel's statement editor: a TextArea that remembers what was run. Up in an
empty editor brings back the statements run before (newest first), down goes forward
again, as the ksql CLI's line history; anywhere else the arrows move the cursor."""

from __future__ import annotations

from textual.widgets import TextArea

HISTORY_SIZE = 100


class KsqlEditor(TextArea):
    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(text, id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="indent")
        self.ran: list[str] = []
        self._recalled: int | None = None  # the history entry shown, while it is unchanged

    def remember(self, text: str) -> None:
        text = text.strip()
        if text and (not self.ran or self.ran[-1] != text):
            self.ran.append(text)
            del self.ran[:-HISTORY_SIZE]
        self._recalled = None

    def _browsing(self) -> bool:
        if not self.text.strip():
            return True
        return self._recalled is not None and self.text == self.ran[self._recalled]

    def _show(self, index: int | None) -> None:
        self._recalled = index
        self.text = "" if index is None else self.ran[index]
        self.move_cursor(self.document.end)

    def action_cursor_up(self, select: bool = False) -> None:
        if select or not self.ran or not self._browsing():
            super().action_cursor_up(select)
            return
        if self._recalled is None:
            self._show(len(self.ran) - 1)
        elif self._recalled > 0:
            self._show(self._recalled - 1)

    def action_cursor_down(self, select: bool = False) -> None:
        if select or self._recalled is None or not self._browsing():
            super().action_cursor_down(select)
            return
        self._show(self._recalled + 1 if self._recalled + 1 < len(self.ran) else None)
