"""The command palette's workbench commands: every action of every panel, by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry: what it is called, what it does, and what choosing it runs."""

    title: str  # "Topics: New topic"
    help: str  # a sentence of what it does, and where its key is
    run: Callable[[], object]


class CommandHost(Protocol):
    """The app the palette serves (`KafkaTuiApp` is one)."""

    def palette_commands(self) -> list[PaletteCommand]: ...


class WorkbenchCommands(Provider):
    """The workbench's own commands, whichever panel is showing.

    A query matches a command's title (fuzzy, as Textual's own commands) or every word
    of it appears in the description: "create" finds "Topics: New topic", whose
    description says it creates a topic. Titles rank above descriptions.
    """

    def _commands(self) -> list[PaletteCommand]:
        return cast(CommandHost, self.app).palette_commands()

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        words = query.lower().split()
        for command in self._commands():
            score = matcher.match(command.title)
            if words and all(word in command.help.lower() for word in words):
                score = max(score, 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.run, command.title, command.help)
