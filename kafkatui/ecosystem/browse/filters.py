"""Which records a search keeps: a jq program over the value, a regex over key, value and
headers, a time range. `RecordFilter.select` takes a batch and answers, per record,
whether it matched; records the jq program cannot read (not JSON, not UTF-8) or that make
it fail are skipped and counted, never an error that stops the scan.

jq runs through the `jq` package (libjq), its program compiled once. A value must be
exactly one JSON text (`1 2` and `{` are not JSON, never a wrong answer), so the sure way
is one `input_text` call per value, and the binding costs ~5 µs a call (a parser, a
state from its pool, two iterator objects) beside libjq's own parse. So a batch's values
that are objects or arrays (after whitespace: a `{` or `[` first, a `}` or `]` last) go
to libjq in one call, one value a line, and one answer comes back per value. That is
safe because such values cannot run into one another: libjq refuses a raw newline in a
string, and after a value's closing bracket, the next one's opening bracket is an error
inside any unfinished array or object. So the values stay apart unless one fails to
parse (the whole call fails) or holds two texts (one answer too many): then that batch
goes one value a call, as do values of other shapes. (A wrapper program keeping values
apart inside one JSON array was tried before: its cost ate the saved calls.)
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
        texts = [_as_json_text(value) for value in values]
        outcomes: list[Outcome | None] = [None] * len(texts)
        together = [(i, text) for i, text in enumerate(texts) if text is not None and _bracketed(text)]
        if len(together) > 1:
            answers = self._answers_together([text for _, text in together])
            if answers is not None:
                for (i, _), answer in zip(together, answers, strict=True):
                    outcomes[i] = _answered(answer)
        return [self._outcome(t) if o is None else o for o, t in zip(outcomes, texts, strict=True)]

    def _answers_together(self, texts: list[str]) -> list[Any] | None:
        """The wrapped program's answer per text, in one libjq call; None if they did not
        come back one per text (a parse error, or a value holding two texts)."""
        try:
            answers = self._compiled.input_text("\n".join(texts)).all()
        except ValueError:
            return None
        return answers if len(answers) == len(texts) else None

    def _outcome(self, text: str | None) -> Outcome:
        if text is None:
            return Outcome.NOT_JSON
        try:
            answers = self._compiled.input_text(text).all()
        except ValueError:  # a parse error (the program's own errors are caught in it)
            return Outcome.NOT_JSON
        if len(answers) != 1:
            return Outcome.NOT_JSON  # `1 2`: more than one JSON text
        return _answered(answers[0])


def _answered(answer: int) -> Outcome:
    if answer == _FAILED:
        return Outcome.FAILED
    return Outcome.MATCHED if answer > 0 else Outcome.NO_MATCH


def _bracketed(text: str) -> bool:
    """An object or an array by its first and last characters (not a proof that it is
    JSON: only that it cannot run into the next value, see the module's note)."""
    inner = text.strip()
    return inner[0] in "{[" and inner[-1] in "}]"


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
