"""Compatibility levels (Confluent's CompatibilityLevel): which earlier versions a new
schema is checked against, and in which direction.

BACKWARD: consumers on the new schema read data written with the old one (the new
schema is the reader). FORWARD: consumers still on the old schema read data written
with the new one. FULL: both. The *_TRANSITIVE levels check every earlier version, the
others only the latest. NONE checks nothing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from kafkatui.ecosystem.registry.schemas import Incompatibility, ParsedSchema


class CompatibilityLevel(StrEnum):
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"

    @property
    def transitive(self) -> bool:
        return self.value.endswith("_TRANSITIVE")

    @property
    def backward(self) -> bool:
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def forward(self) -> bool:
        return self.value.startswith(("FORWARD", "FULL"))

    @property
    def meaning(self) -> str:
        """What the level promises, in a learner's words."""
        return _MEANINGS[self]

    @classmethod
    def parse(cls, value: object) -> CompatibilityLevel | None:
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        return None


DEFAULT_LEVEL = CompatibilityLevel.BACKWARD
_MEANINGS = {
    CompatibilityLevel.BACKWARD: "consumers on the new schema can read data written with the previous one",
    CompatibilityLevel.BACKWARD_TRANSITIVE: "consumers on the new schema can read data written with "
    "every earlier one",
    CompatibilityLevel.FORWARD: "consumers still on the previous schema can read data written with the "
    "new one",
    CompatibilityLevel.FORWARD_TRANSITIVE: "consumers on any earlier schema can read data written with "
    "the new one",
    CompatibilityLevel.FULL: "both BACKWARD and FORWARD, against the previous schema",
    CompatibilityLevel.FULL_TRANSITIVE: "both BACKWARD and FORWARD, against every earlier schema",
    CompatibilityLevel.NONE: "no check: any schema may follow any other",
}


def check(
    level: CompatibilityLevel, new: ParsedSchema, earlier: Sequence[tuple[int, ParsedSchema]]
) -> list[tuple[int, list[Incompatibility]]]:
    """What is wrong with `new` against each earlier (version, schema) it must be
    compatible with under `level`, oldest first; empty if it may be registered.
    `earlier` is every live version, oldest first."""
    if level is CompatibilityLevel.NONE or not earlier:
        return []
    against = earlier if level.transitive else earlier[-1:]
    problems = []
    for version, old in against:
        found: list[Incompatibility] = []
        if level.backward:
            found += new.incompatibilities(old, reader_is_new=True)
        if level.forward:
            found += old.incompatibilities(new, reader_is_new=False)
        if found:
            # FULL finds a symmetric change (a field's type) once each way, in one sentence.
            problems.append((version, list(dict.fromkeys(found))))
    return problems


def messages(level: CompatibilityLevel, problems: list[tuple[int, list[Incompatibility]]]) -> list[str]:
    """Confluent's verbose messages: one line per problem, then which version and level."""
    out = []
    for version, found in problems:
        out += [
            f"{{errorType:'{i.kind}', description:'{i.text}'" + (f", path:'{i.path}'}}" if i.path else "}")
            for i in found
        ]
        out.append(f"{{oldSchemaVersion: {version}}}")
    if out:
        out.append(f"{{compatibility: '{level.value}'}}")
    return out


@dataclass(frozen=True)
class Reason:
    """One verbose message read back (`errorType`, `description`), with the old version
    it was found against when the messages say so."""

    error_type: str
    description: str
    version: int | None = None


# Confluent's items: {errorType:'…', description:'…'[, additionalInfo:'…'][, path:'…']},
# {oldSchemaVersion: n}, {compatibility: '…'}. A description may hold quotes of its own
# (Confluent's say "The field 'f' at path '/fields/1' …"): it ends where the item does.
_ITEM = re.compile(
    r"\{errorType:'(?P<kind>[^']*)', description:'(?P<text>.*?)'(?:, [a-zA-Z]+:'[^']*')*\}"
    r"|\{oldSchemaVersion: (?P<version>\d+)\}"
    r"|\{compatibility: '(?P<level>[A-Z_]+)'\}"
)


def read_messages(messages: Sequence[str] | str) -> tuple[list[Reason], str | None]:
    """The reasons and the level in Confluent's verbose messages (a `?verbose=true`
    answer's list, or the text of a 409 refusal, whose details are the same items),
    from kafkatui's registry or Confluent's."""
    text = messages if isinstance(messages, str) else ", ".join(messages)
    reasons: list[Reason] = []
    pending: list[Reason] = []
    level = None
    for match in _ITEM.finditer(text):
        if match["kind"] is not None:
            pending.append(Reason(match["kind"], match["text"]))
        elif match["version"] is not None:
            version = int(match["version"])
            reasons += [Reason(r.error_type, r.description, version) for r in pending]
            pending = []
        else:
            level = match["level"]
    return reasons + pending, level
