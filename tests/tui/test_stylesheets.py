"""The workbench's look lives in .tcss files beside its modules: every one is loaded by the
app and shipped in the package, and no module styles itself in Python."""

from __future__ import annotations

import ast
import tomllib

from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.stylesheets import SHELL, TUI, component_stylesheets, stylesheets

ROOT = TUI.parent.parent


def test_the_app_loads_every_stylesheet_of_the_tui_and_the_shell_last() -> None:
    written = sorted(TUI.rglob("*.tcss"))
    assert sorted(stylesheets()) == written
    assert stylesheets() == KafkaTuiApp.CSS_PATH
    assert stylesheets()[-1] == SHELL  # the shell's layout has the last word, as app CSS had
    assert SHELL not in component_stylesheets()


def test_every_stylesheet_is_package_data() -> None:
    """What a wheel holds: setuptools globs these patterns under the package directory."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["kafkatui"]
    shipped = {path for pattern in patterns for path in (ROOT / "kafkatui").glob(pattern)}
    missing = [str(p.relative_to(ROOT)) for p in stylesheets() if p not in shipped]
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"


def test_no_tui_module_carries_inline_css() -> None:
    """Styles in Python strings escape the .tcss files (and the order the app loads them
    in): DEFAULT_CSS or CSS belong in the module's .tcss instead."""
    inline = []
    for module in sorted(TUI.rglob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                for statement in node.body:
                    targets = statement.targets if isinstance(statement, ast.Assign) else []
                    names = {t.id for t in targets if isinstance(t, ast.Name)}
                    if names & {"DEFAULT_CSS", "CSS"}:
                        inline.append(f"{module.relative_to(ROOT)}:{statement.lineno} {node.name}")
    assert not inline, inline


def test_a_stylesheet_sits_beside_the_module_it_styles() -> None:
    orphans = [
        str(p.relative_to(ROOT)) for p in component_stylesheets() if not p.with_suffix(".py").is_file()
    ]
    assert not orphans, orphans
