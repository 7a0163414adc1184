"""First start on an empty cluster: offer the course, the sample setup or an empty cluster."""

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

- **Course** takes you step by step through Kafka on this very cluster: brokers,
  topics, partitions and keys, replication, acks, idempotence, consumer groups,
  offsets and lag, compaction, Connect, security, Kafka Streams (press `L` for it
  at any time).
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

- **Curso** leva você passo a passo pelo Kafka neste mesmo cluster: brokers,
  tópicos, partições e keys, replicação, acks, idempotência, consumer groups,
  offsets e lag, compactação, Connect, segurança, Kafka Streams (tecle `L` a
  qualquer momento).
- **Exemplo** cria dois tópicos de exemplo, `sales` e `clients` — 3 partições cada,
  distribuídas entre os brokers — e produz algumas mensagens com key para o log ter o
  que mostrar.
- **Cluster vazio** deixa com você: tecle `2` para Tópicos e depois `n`.

Tecle **F1** ou **?** em qualquer painel para ver o conceito por trás dele.
""",
}


class WelcomeScreen(ModalScreen[str]):
    """Returns "course", "sample" or "empty". A user who never began the course
    (`first_time`) finds the Course button chosen."""

    BINDINGS = [
        Binding("c", "choose('course')", "Course", id="welcome.course"),
        Binding("s", "choose('sample')", "Sample setup", id="welcome.sample"),
        Binding("e,escape", "choose('empty')", "Empty cluster", id="welcome.empty"),
    ]

    def __init__(self, brokers: int, language: str = "en", *, first_time: bool = False) -> None:
        super().__init__()
        self.first_time = first_time
        self.brokers = brokers
        self.language = language

    def compose(self) -> ComposeResult:
        course, sample, empty = (
            ("Curso (c)", "Exemplo (s)", "Cluster vazio (e)")
            if self.language == "pt"
            else ("Course (c)", "Sample setup (s)", "Empty cluster (e)")
        )
        with Vertical():
            yield Markdown(WELCOME.get(self.language, WELCOME["en"]).format(brokers=self.brokers))
            with Horizontal():
                yield Button(course, id="course", variant="primary" if self.first_time else "default")
                yield Button(sample, id="sample", variant="default" if self.first_time else "primary")
                yield Button(empty, id="empty")

    def on_mount(self) -> None:
        self.query_one("#course" if self.first_time else "#sample", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "empty")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
