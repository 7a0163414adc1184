"""Kafka's principals: `KafkaPrincipal` ("User:alice") and the TLS listener's
`SslPrincipalMapper`, which turns a client certificate's subject into a user name
(`ssl.principal.mapping.rules`, KIP-371)."""

from __future__ import annotations

import re
from dataclasses import dataclass

ANONYMOUS = "User:ANONYMOUS"  # KafkaPrincipal.ANONYMOUS: PLAINTEXT, or TLS without a client certificate

# Kafka's SslPrincipalMapper.RULE_SPLITTER / RULE_PARSER: `DEFAULT` or
# `RULE:pattern/replacement/[LU]`, separated by commas (a comma inside a rule is
# escaped by the rule's own syntax: it sits between slashes).
_RULE = re.compile(r"\s*((DEFAULT)|RULE:((?:\\.|[^\\/])*)/((?:\\.|[^\\/])*)/([LU]?)\s*)(?:,|$)")


class PrincipalMappingError(ValueError):
    """A subject no rule maps (Kafka fails the TLS authentication then)."""


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str] | None  # None: DEFAULT
    replacement: str = ""
    case: str = ""

    def apply(self, subject: str) -> str | None:
        if self.pattern is None:
            return subject
        if self.pattern.fullmatch(subject) is None:  # Java's Matcher.matches()
            return None
        # Java's $1 group references, as Python's \1 (a literal backslash doubled first)
        replacement = re.sub(r"\$(\d+)", r"\\\1", self.replacement.replace("\\", "\\\\"))
        name = self.pattern.sub(replacement, subject)
        return name.lower() if self.case == "L" else name.upper() if self.case == "U" else name


class SslPrincipalMapper:
    """`ssl.principal.mapping.rules`: the first rule that matches the whole subject
    (RFC 2253 form, `CN=alice,O=kafkatui`) names the user; DEFAULT keeps the subject."""

    def __init__(self, rules: str = "DEFAULT") -> None:
        self.rules_text = rules
        self._rules: list[_Rule] = []
        position = 0
        text = rules.strip()
        while position < len(text):
            match = _RULE.match(text, position)
            if match is None or match.end() == position:
                raise ValueError(f"invalid ssl.principal.mapping.rules at {text[position:]!r}")
            if match.group(2):
                self._rules.append(_Rule(None))
            else:
                self._rules.append(_Rule(re.compile(match.group(3)), match.group(4), match.group(5)))
            position = match.end()
        if not self._rules:
            self._rules.append(_Rule(None))

    def name(self, subject: str) -> str:
        for rule in self._rules:
            name = rule.apply(subject)
            if name is not None:
                return name
        raise PrincipalMappingError(
            f"no rule of ssl.principal.mapping.rules={self.rules_text} applies to {subject}"
        )


def user(name: str) -> str:
    return f"User:{name}"
