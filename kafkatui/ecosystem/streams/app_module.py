"""Loading a streams application module: a file (`app.py`) or an importable module
(`kafkatui.ecosystem.streams.examples.word_count`) that has either

- `topology(builder)`: adds its streams to a `StreamsBuilder` (or returns a `Topology`
  made with the Processor API), or
- `app`: a `Topology` or a `StreamsBuilder`,

and may have `CONFIG`, a dict of Kafka Streams settings (`application.id`, …), which
the command line's options override."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from kafkatui.ecosystem.streams.builder import StreamsBuilder
from kafkatui.ecosystem.streams.topology import Topology


class AppError(Exception):
    """The module cannot be loaded, or has neither `topology` nor `app`."""


def load_module(target: str) -> ModuleType:
    path = Path(target)
    if path.suffix == ".py" or path.exists():
        if not path.is_file():
            raise AppError(f"no such file: {target}")
        spec = importlib.util.spec_from_file_location(f"kafkatui_streams_app_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as error:
            raise AppError(f"{target} failed to load: {type(error).__name__}: {error}") from error
        return module
    try:
        return importlib.import_module(target)
    except ImportError as error:
        raise AppError(f"no file or module {target!r}: {error}") from error


def topology_of(module: ModuleType) -> Topology:
    if callable(getattr(module, "topology", None)):
        builder = StreamsBuilder()
        made = module.topology(builder)
        return made if isinstance(made, Topology) else builder.build()
    app = getattr(module, "app", None)
    if isinstance(app, Topology):
        return app
    if isinstance(app, StreamsBuilder):
        return app.build()
    raise AppError(
        f"{module.__name__} has no `topology(builder)` function and no `app` (a Topology or a StreamsBuilder)"
    )


def config_of(module: ModuleType) -> dict[str, Any]:
    config = getattr(module, "CONFIG", {})
    if not isinstance(config, dict):
        raise AppError(f"{module.__name__}.CONFIG is not a dict of Kafka Streams settings")
    return dict(config)
