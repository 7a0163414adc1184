"""Where the workbench's look is written: a `.tcss` file beside each module that draws
something (`panels/groups.py` → `panels/groups.tcss`), and the shell's in `styles/`.

Textual reads a widget's styles only from its `DEFAULT_CSS` string, so the app loads
these files itself (`KafkaTuiApp.CSS_PATH`). An app that hosts a panel or widget alone
(the tests' harnesses) loads `component_stylesheets()` the same way.
"""

from __future__ import annotations

from pathlib import Path

TUI = Path(__file__).parent
SHELL = TUI / "styles" / "app.tcss"
# Widgets before the screens and panels that hold them: where two rules are equally
# specific the later file wins, so a panel's word on a widget inside it is the last.
_FOLDERS = ("widgets", "screens", "panels")


def component_stylesheets() -> list[Path]:
    """Every widget's, dialog's and panel's stylesheet, in loading order."""
    return [path for folder in _FOLDERS for path in sorted((TUI / folder).glob("*.tcss"))]


def stylesheets() -> list[Path]:
    """What the workbench app loads: every component's stylesheet, then the shell's."""
    return [*component_stylesheets(), SHELL]
