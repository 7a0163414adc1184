"""JSON Schema combinators (`allOf`, `anyOf`, `oneOf`, `not`) compared as Confluent's
registry does (`json/diff/` SchemaDiff.compareTypes, CombinedSchemaDiff, NotSchemaDiff),
on the schemas as the everit library it parses with sees them: a node holding a
combinator is a combined schema, and a node holding other keywords beside it the
`allOf` of its parts (everit's synthetic allOf). Only the refusing differences are
recorded; the compatible ones (COMBINED_TYPE_EXTENDED, SUM_TYPE_EXTENDED,
PRODUCT_TYPE_NARROWED, NOT_TYPE_NARROWED) leave nothing behind."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kafkatui.ecosystem.registry.schemas.base import Incompatibility

COMBINATORS = ("allOf", "anyOf", "oneOf")
SUMS = ("anyOf", "oneOf")
# Keywords that make everit build a schema of their own beside a combinator; the rest
# (title, description, definitions, unknown ones...) only annotate.
_VALIDATING = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "patternProperties", "propertyNames",
        "dependencies", "dependentRequired", "dependentSchemas", "minProperties", "maxProperties",
        "unevaluatedProperties", "items", "additionalItems", "prefixItems", "contains", "minContains",
        "maxContains", "minItems", "maxItems", "uniqueItems", "unevaluatedItems", "minLength",
        "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "enum", "const", "if", "then", "else",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Combined:
    """`criterion` (allOf, anyOf, oneOf or not) over `subschemas` (one for not)."""

    criterion: str
    subschemas: tuple[Any, ...]

    def distinct(self) -> list[Any]:
        """The subschemas with duplicates collapsed, in order (Confluent's LinkedHashSet)."""
        out, keys = [], set()
        for sub in self.subschemas:
            key = json.dumps(sub, sort_keys=True)
            if key not in keys:
                keys.add(key)
                out.append(sub)
        return out


def shape(node: dict[str, Any]) -> Combined | None:
    """The node as a combined schema, or None if it is a plain one."""
    parts: list[Combined] = [
        Combined(c, tuple(node[c])) for c in COMBINATORS if isinstance(node.get(c), list) and node[c]
    ]
    if "not" in node:
        parts.append(Combined("not", (node["not"],)))
    if not parts:
        return None
    base = {k: v for k, v in node.items() if k not in COMBINATORS and k != "not"}
    if len(parts) == 1 and not _VALIDATING & base.keys():
        return parts[0]
    subschemas: list[Any] = [base] if _VALIDATING & base.keys() else []
    subschemas += [
        {p.criterion: p.subschemas[0] if p.criterion == "not" else list(p.subschemas)} for p in parts
    ]
    return Combined("allOf", tuple(subschemas))


def _matching(edges: dict[int, list[int]], left: int) -> int:
    """The size of a maximum matching of the bipartite graph `edges` (left index to
    the right indexes it may pair with), by augmenting paths (Kuhn's algorithm)."""
    owner: dict[int, int] = {}

    def augment(i: int, visited: set[int]) -> bool:
        for j in edges.get(i, ()):
            if j not in visited:
                visited.add(j)
                if j not in owner or augment(owner[j], visited):
                    owner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(left))


class CombinedRules:
    """The combinator rules of `json_schema._Compare`, which provides `node`, `add`,
    the names and the direction."""

    found: list[Incompatibility]
    reader_is_new: bool
    reader_name: str
    writer_name: str
    _alive: list[Any]

    if TYPE_CHECKING:  # provided by the comparing class

        def node(self, reader: Any, writer: Any, path: str, seen: set[tuple[int, int]]) -> None: ...

        def add(self, kind: str, path: str, text: str) -> None: ...

    def trial(self, reader: Any, writer: Any, path: str, seen: set[tuple[int, int]]) -> bool:
        """Whether `reader` reads `writer`'s documents, leaving no reasons behind."""
        saved, self.found = self.found, []
        try:
            self.node(reader, writer, path, seen)
            return not self.found
        finally:
            self.found = saved

    def combined(
        self, reader: dict[str, Any], writer: dict[str, Any], path: str, seen: set[tuple[int, int]]
    ) -> bool:
        """Compare the nodes if either is combined; False leaves them to the plain rules."""
        r, w = shape(reader), shape(writer)
        if r is None and w is None:
            return False
        # The synthetic parts must outlive the comparison: `seen` holds their ids.
        self._alive += [x for x in (r, w) if x is not None]
        if w is None and r is not None and r.criterion != "not":
            if len(r.subschemas) == 1 and self.trial(r.subschemas[0], writer, path, seen):
                return True
            if r.criterion in SUMS and any(
                self.trial(sub, writer, f"{path}/{r.criterion}/{i}", seen)
                for i, sub in enumerate(r.subschemas)
            ):
                return True  # SUM_TYPE_EXTENDED
        if r is None and w is not None and w.criterion != "not":
            if len(w.subschemas) == 1 and self.trial(reader, w.subschemas[0], path, seen):
                return True
            if w.criterion == "allOf" and any(
                self.trial(reader, sub, f"{path}/allOf/{i}", seen) for i, sub in enumerate(w.subschemas)
            ):
                return True  # PRODUCT_TYPE_NARROWED
        if r is None or w is None or (r.criterion == "not") != (w.criterion == "not"):
            self.add(
                "TYPE_CHANGED",
                path,
                f"{field_name(path)} is {_kind(w)} in {self.writer_name} but {_kind(r)} in "
                f"{self.reader_name}, and nothing in {self.reader_name} reads what {self.writer_name} allows",
            )
        elif r.criterion == "not":
            # Reversed: what the reader excludes must be excluded by the writer too.
            if not self.trial(w.subschemas[0], r.subschemas[0], f"{path}/not", seen):
                self.add(
                    "NOT_TYPE_EXTENDED",
                    f"{path}/not",
                    f"{field_name(path)}: `not` in {self.reader_name} excludes documents that "
                    f"{self.writer_name} allows",
                )
        else:
            self.combination(r, w, path, seen)
        return True

    def combination(self, r: Combined, w: Combined, path: str, seen: set[tuple[int, int]]) -> None:
        """Confluent's CombinedSchemaDiff: the criteria, the counts, then a matching of
        each writer subschema to its own reader subschema that reads it."""
        if r.criterion != w.criterion:
            single_r, single_w = len(r.subschemas) == 1, len(w.subschemas) == 1
            extended = (
                r.criterion == "anyOf"
                or (single_w and single_r)
                or (single_w and r.criterion == "oneOf")
                or (single_r and w.criterion == "allOf")
            )
            if not extended:
                old, new = self.old_new(w.criterion, r.criterion)
                self.add(
                    "COMBINED_TYPE_CHANGED",
                    path,
                    f"{field_name(path)} changed from `{old}` to `{new}`, so {self.reader_name} may refuse "
                    f"documents {self.writer_name} allows",
                )
                return
        writers, readers = w.distinct(), r.distinct()
        if len(writers) < len(readers) and r.criterion == "allOf":
            self.add(
                "PRODUCT_TYPE_EXTENDED",
                path,
                f"{field_name(path)}: `allOf` has {len(readers)} subschemas in {self.reader_name} but "
                f"{len(writers)} in {self.writer_name}, whose documents need not satisfy the others",
            )
        elif len(writers) > len(readers) and w.criterion in SUMS:
            self.add(
                "SUM_TYPE_NARROWED",
                path,
                f"{field_name(path)}: `{w.criterion}` offers {len(writers)} alternatives in "
                f"{self.writer_name} but {len(readers)} in {self.reader_name}, which cannot read "
                "documents that matched the missing ones",
            )
        edges = {
            i: [
                j
                for j, rsub in enumerate(readers)
                if self.trial(rsub, wsub, f"{path}/{w.criterion}/{i}", seen)
            ]
            for i, wsub in enumerate(writers)
        }
        matched = _matching(edges, len(writers))
        if matched < min(len(writers), len(readers)):
            self.add(
                "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
                path,
                f"{field_name(path)}: the subschemas of `{w.criterion}` changed; only {matched} of "
                f"{min(len(writers), len(readers))} pair with a subschema of the other version that "
                "reads the same documents",
            )

    def old_new(self, writer: str, reader: str) -> tuple[str, str]:
        return (writer, reader) if self.reader_is_new else (reader, writer)


def _kind(shape: Combined | None) -> str:
    return "a plain schema" if shape is None else f"`{shape.criterion}`"


def field_name(path: str) -> str:
    """A schema path as the user names the field: `#/properties/a/properties/b` is `a.b`."""
    if path == "#":
        return "the document"
    return "`" + path.removeprefix("#/").replace("properties/", "").replace("/", ".") + "`"
