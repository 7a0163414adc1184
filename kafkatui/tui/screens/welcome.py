"""First start on an empty cluster: offer the sample setup or an empty cluster."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Markdown

WELCOME = {
    "en": """\
# Welcome to kafkatui

This cluster is empty: **{brokers} brokers**, each with its own SQLite database, and a
controller keeping the metadata.

- **Sample setup** creates two example topics, `sales` and `clients` — 3 partitions
  each, spread over the brokers — and produces a few keyed records so the log view has
  something to show.
- **Empty cluster** leaves it to you: press `2` for Topics, then `n`.

Press **F1** or **?** on any panel for the concept behind it.
""",
    "pt": """\
# Bem-vindo ao kafkatui

Este cluster está vazio: **{brokers} brokers**, cada um com seu próprio banco SQLite, e
um controller guardando os metadados.

- **Exemplo** cria dois tópicos de exemplo, `sales` e `clients` — 3 partições cada,
  distribuídas entre os brokers — e produz algumas mensagens com key para o log ter o
  que mostrar.
- **Cluster vazio** deixa com você: tecle `2` para Tópicos e depois `n`.

Tecle **F1** ou **?** em qualquer painel para ver o conceito por trás dele.
""",
}


class WelcomeScreen(ModalScreen[str]):
    """Returns "sample" or "empty"."""

    BINDINGS = [
        Binding("s", "choose('sample')", "Sample setup", id="welcome.sample"),
        Binding("e,escape", "choose('empty')", "Empty cluster", id="welcome.empty"),
    ]

    def __init__(self, brokers: int, language: str = "en") -> None:
        super().__init__()
        self.brokers = brokers
        self.language = language

    def compose(self) -> ComposeResult:
        sample, empty = (
            ("Exemplo (s)", "Cluster vazio (e)")
            if self.language == "pt"
            else ("Sample setup (s)", "Empty cluster (e)")
        )
        with Vertical():
            yield Markdown(WELCOME.get(self.language, WELCOME["en"]).format(brokers=self.brokers))
            with Horizontal():
                yield Button(sample, id="sample", variant="primary")
                yield Button(empty, id="empty")

    def on_mount(self) -> None:
        self.query_one("#sample", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "empty")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
