"""Help for the current panel, in English or Portuguese (l switches)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from kafkatui.tui.i18n import help_text, other_language, t


class HelpScreen(ModalScreen[str]):
    """Dismisses with the language finally chosen, so the app remembers it."""

    BINDINGS = [
        Binding("escape,q,f1,question_mark", "close", "Close", id="help.close"),
        Binding("l", "switch_language", "Language", id="help.language"),
    ]

    def __init__(self, page: str, language: str) -> None:
        super().__init__()
        self.page = page
        self.language = language

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll():
                yield Markdown(help_text(self.page, self.language), id="help-text")
            yield Static(self._footer(), id="help-footer")

    def _footer(self) -> str:
        return f"{t('close', self.language)} · {t('switch_language', self.language)}"

    def action_switch_language(self) -> None:
        self.language = other_language(self.language)
        self.query_one("#help-text", Markdown).update(help_text(self.page, self.language))
        self.query_one("#help-footer", Static).update(self._footer())

    def action_close(self) -> None:
        self.dismiss(self.language)
