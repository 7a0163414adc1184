"""How `kafkatui serve` logs: one line per event on stderr, as text for people or JSON
for log shippers (`--log-format json`), so a process manager sees refused connections
and requests (kafkatui.wire's WARN lines) without a terminal."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO

# What a record carries beyond the standard attributes (RefusalLog's `extra`).
_EXTRA = ("broker", "peer", "reason", "held_back")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the
    refusal fields when the record has them."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({key: getattr(record, key) for key in _EXTRA if hasattr(record, key)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(log_format: str = "text", stream: IO[str] | None = None) -> logging.Handler:
    """Send kafkatui's INFO and above to `stream` (stderr) in `log_format` ("text" or
    "json"); returns the handler (to remove it again)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    elif log_format == "text":
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        raise ValueError(f"log format must be text or json, not {log_format!r}")
    root = logging.getLogger("kafkatui")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler
