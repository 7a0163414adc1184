"""The Records panel's filters, kept across sessions: one JSON file in the user data dir
(platformdirs: ~/.local/share/kafkatui/records_filters.json on Linux, beside the course's
progress), a filter per topic name. No Textual here.

Forgiving, as the settings are: a file that cannot be read or parsed, or an entry that is
not a filter, is a warning and is left out, never a crash; the next save rewrites the file
with what is known. A save replaces the file whole (a temporary file, then a rename), so
two workbenches never leave half a file."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields
from pathlib import Path

import platformdirs

from kafkatui.tui.panels.records_filter import FilterSpec

FORMAT_VERSION = 1
_FIELDS = {f.name for f in fields(FilterSpec)}


def default_path() -> Path:
    return platformdirs.user_data_path("kafkatui") / "records_filters.json"


def _spec(entry: object) -> FilterSpec | None:
    """An entry as written by `save` (unknown names ignored: a newer kafkatui's), or None."""
    if not isinstance(entry, dict):
        return None
    values: dict[str, str | bool] = {}
    for name, value in entry.items():
        if name not in _FIELDS:
            continue
        if not isinstance(value, bool if name == "regex" else str):
            return None
        values[name] = value
    return FilterSpec(**values)  # type: ignore[arg-type]


class SavedFilters:
    """Each topic's last filter, read once and written on every change."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._specs: dict[str, FilterSpec] | None = None
        self.warnings: list[str] = []  # what could not be read, for the panel to show once

    @property
    def path(self) -> Path:
        # resolved late, so a test's isolated data dir (XDG_DATA_HOME) applies
        return self._path if self._path is not None else default_path()

    def load(self) -> dict[str, FilterSpec]:
        """Topic → its saved filter (a copy)."""
        if self._specs is None:
            self._specs = self._read()
        return dict(self._specs)

    def _read(self) -> dict[str, FilterSpec]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            self.warnings.append(f"{self.path}: not read ({error}); filters start empty")
            return {}
        topics = document.get("topics") if isinstance(document, dict) else None
        if not isinstance(topics, dict):
            self.warnings.append(f'{self.path}: no "topics" object; filters start empty')
            return {}
        specs = {}
        for topic, entry in topics.items():
            spec = _spec(entry)
            if spec is None:
                self.warnings.append(f"{self.path}: the filter of topic {topic!r} is not one; left out")
            else:
                specs[topic] = spec
        return specs

    def save(self, topic: str, spec: FilterSpec) -> None:
        """Keep `spec` as the topic's filter (an empty one forgets it); OSError if the
        file cannot be written."""
        specs = self._specs if self._specs is not None else self.load()
        assert self._specs is not None
        if spec == FilterSpec():
            if topic not in specs:
                return
            del self._specs[topic]
        elif specs.get(topic) == spec:
            return
        else:
            self._specs[topic] = spec
        self._write()

    def forget(self, topic: str) -> None:
        self.save(topic, FilterSpec())

    def _write(self) -> None:
        assert self._specs is not None
        default = asdict(FilterSpec())
        document = {
            "version": FORMAT_VERSION,
            # only what differs from an empty filter: the file reads as what was typed
            "topics": {
                topic: {k: v for k, v in asdict(spec).items() if v != default[k]}
                for topic, spec in sorted(self._specs.items())
            },
        }
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        temporary.replace(path)
