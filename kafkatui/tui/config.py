"""The user's settings file: theme, language and key remapping.

`<config dir>/kafkatui/config.toml`, for example:

    theme = "kafkatui-light"
    language = "pt"

    [keys]
    "app.help" = "f1,h"          # binding id = key(s)
    "topics.create" = "ctrl+n"

A bad entry is a warning shown in the app, never a crash.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from kafkatui.tui.i18n import LANGUAGES


@dataclass
class Settings:
    theme: str | None = None
    language: str | None = None
    keys: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def config_path() -> Path:
    return platformdirs.user_config_path("kafkatui") / "config.toml"


def load_settings(path: Path | None = None) -> Settings:
    path = path or config_path()
    settings = Settings()
    if not path.exists():
        return settings
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        settings.warnings.append(f"{path}: {error}; using defaults")
        return settings
    theme = data.pop("theme", None)
    if theme is not None:
        settings.theme = str(theme)
    language = data.pop("language", None)
    if language is not None:
        if language in LANGUAGES:
            settings.language = language
        else:
            settings.warnings.append(f"{path}: language must be one of {', '.join(LANGUAGES)}")
    keys = data.pop("keys", {})
    if isinstance(keys, dict):
        for binding_id, key in keys.items():
            if isinstance(key, str) and key:
                settings.keys[str(binding_id)] = key
            else:
                settings.warnings.append(f"{path}: keys.{binding_id} must be a key name")
    else:
        settings.warnings.append(f"{path}: [keys] must be a table")
    for unknown in data:
        settings.warnings.append(f"{path}: unknown setting '{unknown}' ignored")
    return settings
