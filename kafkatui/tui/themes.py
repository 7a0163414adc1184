"""Themes as data files: the bundled `themes/` folder plus the user's own.

Each `*.toml` file holds one theme: `name`, `dark`, and Textual theme colours
(`primary`, `secondary`, `accent`, `foreground`, `background`, `surface`, `panel`,
`success`, `warning`, `error`). A broken file is skipped with a warning, never a crash.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs
from textual.theme import Theme

DEFAULT_THEME = "kafkatui-dark"
_COLOURS = (
    "primary", "secondary", "accent", "foreground", "background", "surface", "panel",
    "success", "warning", "error",
)  # fmt: skip


@dataclass(frozen=True)
class LoadedThemes:
    themes: list[Theme]
    warnings: list[str]


def user_theme_dir() -> Path:
    return platformdirs.user_config_path("kafkatui") / "themes"


def bundled_theme_files() -> list[Path]:
    """The repository's top-level themes/ (installed as the kafkatui.themes package data)."""
    source_tree = Path(__file__).resolve().parents[2] / "themes"
    if source_tree.is_dir():
        return sorted(source_tree.glob("*.toml"))
    packaged = resources.files("kafkatui") / "themes"
    return sorted(Path(str(p)) for p in packaged.iterdir() if p.name.endswith(".toml"))


def parse_theme(path: Path) -> Theme:
    """One theme file → a Textual Theme (ValueError naming the file if it is invalid)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path.name}: {error}") from None
    name = data.get("name") or path.stem
    if "primary" not in data:
        raise ValueError(f"{path.name}: a theme needs at least a 'primary' colour")
    unknown = set(data) - {"name", "dark", *_COLOURS}
    if unknown:
        raise ValueError(f"{path.name}: unknown keys {', '.join(sorted(unknown))}")
    try:
        return Theme(
            name=str(name),
            dark=bool(data.get("dark", True)),
            **{k: str(data[k]) for k in _COLOURS if k in data},
        )
    except Exception as error:  # Textual rejects bad colour strings
        raise ValueError(f"{path.name}: {error}") from None


def load_themes(extra_dirs: list[Path] | None = None) -> LoadedThemes:
    """Bundled themes, then user themes (a user theme may replace a bundled one)."""
    files = bundled_theme_files()
    for directory in [user_theme_dir(), *(extra_dirs or [])]:
        if directory.is_dir():
            files += sorted(directory.glob("*.toml"))
    themes: dict[str, Theme] = {}
    warnings = []
    for path in files:
        try:
            theme = parse_theme(path)
        except ValueError as error:
            warnings.append(f"theme skipped: {error}")
            continue
        themes[theme.name] = theme
    return LoadedThemes(list(themes.values()), warnings)
