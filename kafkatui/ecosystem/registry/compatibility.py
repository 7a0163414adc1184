"""Compatibility levels (Confluent's CompatibilityLevel): which earlier versions a new
schema is checked against, and in which direction.

BACKWARD: consumers on the new schema read data written with the old one (the new
schema is the reader). FORWARD: consumers still on the old schema read data written
with the new one. FULL: both. The *_TRANSITIVE levels check every earlier version, the
others only the latest. NONE checks nothing."""

from __future__ import annotations

from collections.abc import Sequence
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

    @classmethod
    def parse(cls, value: object) -> CompatibilityLevel | None:
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        return None


DEFAULT_LEVEL = CompatibilityLevel.BACKWARD


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
            problems.append((version, found))
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
