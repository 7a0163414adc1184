"""Tokens and the statement splitter of ksqlDB's language (SqlBase.g4's lexer rules, the
ones its own statements need): identifiers (unquoted ones are upper-cased, as ksqlDB
does; `backquoted` and "double-quoted" keep their case), 'strings' with '' for a quote,
numbers, symbols; `--` and `/* */` comments are skipped. Every token keeps its offset
so an error can say where it is."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kafkatui.ecosystem.ksql.errors import KsqlError, at


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # ident, quoted, string, number, symbol, eof
    text: str  # as written
    value: str  # identifiers upper-cased unless quoted; strings unquoted
    offset: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "ident" and self.value in words


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|--[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>`(?:[^`]|``)*`|"(?:[^"]|"")*")
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_$@][A-Za-z0-9_$@]*)
  | (?P<symbol><>|!=|<=|>=|->|:=|\|\||[(),;=<>*+\-/%.\[\]:{}?])
    """,
    re.S | re.X,
)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise KsqlError(f"{at(text, pos)}: extraneous input '{text[pos]}'")
        kind = match.lastgroup or "ws"
        raw = match.group()
        if kind != "ws":
            if kind == "ident":
                value = raw.upper()
            elif kind == "string":
                value = raw[1:-1].replace("''", "'")
            elif kind == "quoted":
                value = raw[1:-1].replace(raw[0] * 2, raw[0])
            else:
                value = raw
            tokens.append(Token(kind, raw, value, match.start()))
        pos = match.end()
    tokens.append(Token("eof", "<EOF>", "<EOF>", len(text)))
    return tokens


def split_statements(text: str) -> list[tuple[str, int]]:
    """Each statement (without its `;`) and its offset in `text`: the splitting ksqlDB's
    parser does on the whole request, so a `;` inside a string or a comment does not
    end one. A last statement without `;` counts too (the CLI adds the `;`)."""
    statements: list[tuple[str, int]] = []
    first: Token | None = None
    last: Token | None = None
    for token in tokenize(text):
        if token.kind == "eof" or token.text == ";":
            if first is not None and last is not None:
                end = last.offset + len(last.text)
                statements.append((text[first.offset : end], first.offset))
            first = last = None
        else:
            first = first or token
            last = token
    return statements
