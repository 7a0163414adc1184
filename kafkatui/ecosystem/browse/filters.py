"""Which records a search keeps: a jq program over the value, a regex over key, value and
headers, a time range. `RecordFilter.select` takes a batch and answers, per record,
whether it matched; records the jq program cannot read (not JSON, not UTF-8) or that make
it fail are skipped and counted, never an error that stops the scan.

jq runs through the `jq` package (libjq), one call per value: `input_text` parses the
value and runs the program, so a value that is not one JSON text (`1 2`, `{`) is a parse
error or more than one input, never a wrong answer. (Batching values into one libjq call
was tried: the wrapper program it needs to keep values apart cost what the saved calls
did, ~10 µs a record either way on bench/browse.py's records.)
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kafkatui.common.clients import ConsumerRecord
from kafkatui.common.errors import ErrorCode, KafkaError

# What the wrapped program answers: how many truthy outputs the user's program gave
# (> 0: matched), or this when it raised an error (`.a.b` on a number).
_FAILED = -1


class Outcome(enum.Enum):
    MATCHED = "matched"
    NO_MATCH = "no match"
    NOT_JSON = "not JSON"  # not UTF-8, empty, or not one JSON text
    FAILED = "filter error"


class JqFilter:
    """A jq program, compiled once. A record matches when the program gives at least one
    output that is neither false nor null (`jq -e`'s rule), so `select(.price > 10)` and
    `.price > 10` both work. A tombstone's value is JSON null to it (`. == null` finds
    tombstones); an empty value is not JSON."""

    def __init__(self, program: str) -> None:
        import jq  # libjq: loaded only by a command that filters

        self.program = program
        try:
            jq.compile(program)  # the user's own text, so the error's position is theirs
        except ValueError as error:
            raise KafkaError(ErrorCode.INVALID_REQUEST, jq_error(error)) from None
        # A newline after the program: a trailing `# comment` in it ends there.
        self._compiled = jq.compile(f"try ([(\n{program}\n) | select(.)] | length) catch {_FAILED}")

    def outcomes(self, values: Sequence[Any]) -> list[Outcome]:
        """Per value (bytes, None for a tombstone, or `Decoded` for one already decoded
        by its schema), what the program made of it."""
        return [self._outcome(_as_json_text(value)) for value in values]

    def _outcome(self, text: str | None) -> Outcome:
        if text is None:
            return Outcome.NOT_JSON
        try:
            answers = self._compiled.input_text(text).all()
        except ValueError:  # a parse error (the program's own errors are caught in it)
            return Outcome.NOT_JSON
        if len(answers) != 1:
            return Outcome.NOT_JSON  # `1 2`: more than one JSON text
        if answers[0] == _FAILED:
            return Outcome.FAILED
        return Outcome.MATCHED if answers[0] > 0 else Outcome.NO_MATCH


@dataclass(frozen=True)
class Decoded:
    """A value already decoded to JSON (by its schema, through the registry)."""

    value: Any


def _as_json_text(value: Any) -> str | None:
    """The text libjq parses; None for what cannot be JSON (not UTF-8, blank)."""
    if value is None:
        return "null"  # a tombstone
    if isinstance(value, Decoded):
        return json.dumps(value.value, ensure_ascii=False)
    try:
        text = value.decode()
    except UnicodeDecodeError:
        return None
    return text if text.strip() else None


def jq_error(error: ValueError) -> str:
    """libjq's compile error as one line: `jq: syntax error, … line 1, column 11`."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    first = lines[0].removeprefix("jq: error: ").rstrip(":") if lines else "invalid program"
    return f"jq: {first}"


class GrepFilter:
    """A regex searched in the key, the value and each header (its name and value) as
    bytes, so it finds text in binary records too (Python's `re`, over bytes)."""

    def __init__(self, pattern: str) -> None:
        try:
            self.regex = re.compile(pattern.encode())
        except re.error as error:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"regex {pattern!r}: {error}") from None

    def matches(self, record: ConsumerRecord) -> bool:
        search = self.regex.search
        if record.key is not None and search(record.key):
            return True
        if record.value is not None and search(record.value):
            return True
        return any(search(k.encode()) or (v is not None and search(v)) for k, v in record.headers)


@dataclass
class ScanCounts:
    """What a scan has seen so far."""

    scanned: int = 0
    matched: int = 0
    not_json: int = 0
    failed: int = 0

    def summary(self) -> str:
        line = f"scanned {self.scanned:,}, matched {self.matched:,}"
        skipped = []
        if self.not_json:
            skipped.append(f"{self.not_json:,} not JSON")
        if self.failed:
            skipped.append(f"{self.failed:,} made the filter fail")
        if skipped:
            line += f" ({', '.join(skipped)}: skipped by --filter)"
        return line


@dataclass
class RecordFilter:
    """All the conditions of a search (each optional, all must hold) and its counts."""

    jq: JqFilter | None = None
    grep: GrepFilter | None = None
    from_ms: int | None = None  # record timestamps at or after
    to_ms: int | None = None  # and at or before
    counts: ScanCounts = field(default_factory=ScanCounts)

    @property
    def active(self) -> bool:
        return any(x is not None for x in (self.jq, self.grep, self.from_ms, self.to_ms))

    def select(self, records: Sequence[ConsumerRecord], values: Sequence[Any] | None = None) -> list[bool]:
        """Per record, whether it matches; `values` are what jq reads (default: each
        record's value bytes; `Decoded` for one decoded by its schema)."""
        keep = [self._plain(r) for r in records]
        if self.jq is not None:
            chosen = [i for i, k in enumerate(keep) if k]
            source = values if values is not None else [r.value for r in records]
            for i, outcome in zip(chosen, self.jq.outcomes([source[i] for i in chosen]), strict=True):
                keep[i] = outcome is Outcome.MATCHED
                if outcome is Outcome.NOT_JSON:
                    self.counts.not_json += 1
                elif outcome is Outcome.FAILED:
                    self.counts.failed += 1
        self.counts.scanned += len(records)
        self.counts.matched += sum(keep)
        return keep

    def _plain(self, record: ConsumerRecord) -> bool:
        if self.from_ms is not None and record.timestamp < self.from_ms:
            return False
        if self.to_ms is not None and record.timestamp > self.to_ms:
            return False
        return self.grep is None or self.grep.matches(record)
