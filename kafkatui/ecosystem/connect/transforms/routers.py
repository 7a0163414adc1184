"""The routing transforms: TimestampRouter (`topic.format` with `${topic}` and
`${timestamp}`, `timestamp.format` a java.text.SimpleDateFormat pattern, in UTC) and
RegexRouter (`regex` must match the whole topic, Matcher.matches(); `replacement` uses
Java's `$1` / `${name}` group references). Java's regex dialect is read as Python's, with
Java's named groups `(?<name>...)` translated."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from typing import Any

from kafkatui.ecosystem.connect.config import NO_DEFAULT, ConfigDef, ConfigException, ConfigType, Importance
from kafkatui.ecosystem.connect.data import DataException
from kafkatui.ecosystem.connect.transforms.base import ConnectRecord, Transformation, new_record
from kafkatui.ecosystem.connect.transforms.fields import PACKAGE

_JAVA_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z][A-Za-z0-9]*)>")


def java_regex(pattern: str) -> re.Pattern[str]:
    """Pattern.compile, or ValueError with Python's complaint."""
    try:
        return re.compile(_JAVA_NAMED_GROUP.sub(r"(?P<\1>", pattern))
    except re.error as error:
        raise ValueError(str(error)) from None


def regex_validator(name: str, value: Any) -> None:
    """ConfigDef's RegexValidator."""
    if value is None:
        return
    try:
        java_regex(str(value))
    except ValueError as error:
        raise ConfigException(
            f"Invalid value {value} for configuration {name}: Invalid regex: {error}"
        ) from None


def java_replacement(match: re.Match[str], replacement: str) -> str:
    """Matcher.appendReplacement: `$n` takes the longest group number that exists,
    `${name}` a named group, a backslash quotes the next character."""
    out: list[str] = []
    i = 0
    while i < len(replacement):
        c = replacement[i]
        if c == "\\":
            i += 1
            if i == len(replacement):
                raise ValueError("character to be escaped is missing")
            out.append(replacement[i])
            i += 1
        elif c == "$":
            i += 1
            if i == len(replacement):
                raise ValueError("Illegal group reference: group index is missing")
            if replacement[i] == "{":
                end = replacement.find("}", i)
                if end < 0:
                    raise ValueError("named capturing group is missing trailing '}'")
                name = replacement[i + 1 : end]
                if name not in match.re.groupindex:
                    raise ValueError(f"No group with name {{{name}}}")
                out.append(match.group(name) or "")
                i = end + 1
            elif replacement[i].isdigit():
                number = int(replacement[i])
                i += 1
                while i < len(replacement) and replacement[i].isdigit():
                    longer = number * 10 + int(replacement[i])
                    if longer > match.re.groups:
                        break
                    number, i = longer, i + 1
                if number > match.re.groups:
                    raise ValueError(f"No group {number}")
                out.append(match.group(number) or "")
            else:
                raise ValueError("Illegal group reference")
        else:
            out.append(c)
            i += 1
    return "".join(out)


class RegexRouter(Transformation):
    """Rename the topic when `regex` matches it all."""

    class_name = f"{PACKAGE}.RegexRouter"

    def config_def(self) -> ConfigDef:
        return (
            ConfigDef()
            .define("regex", ConfigType.STRING, NO_DEFAULT, Importance.HIGH,
                    "Regular expression to use for matching.", validators=[regex_validator])
            .define("replacement", ConfigType.STRING, NO_DEFAULT, Importance.HIGH, "Replacement string.")
        )  # fmt: skip

    def configure(self, props: Mapping[str, Any]) -> None:
        config = self.config_def().parse(props)
        self.regex = java_regex(config["regex"])
        self.replacement = config["replacement"]

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        match = self.regex.fullmatch(record.topic)
        if match is None:
            return record
        return new_record(record, topic=java_replacement(match, self.replacement))


# --- TimestampRouter ------------------------------------------------------------------

_Field = Callable[[datetime.datetime], str]


def _number(get: Callable[[datetime.datetime], int], width: int) -> _Field:
    return lambda t: str(get(t)).zfill(width)


def _letter(letter: str, count: int) -> _Field:
    """One SimpleDateFormat pattern letter run (the common ones)."""
    if letter == "y":
        return (lambda t: f"{t.year % 100:02d}") if count == 2 else _number(lambda t: t.year, count)
    if letter == "M":
        if count >= 4:
            return lambda t: t.strftime("%B")
        if count == 3:
            return lambda t: t.strftime("%b")
        return _number(lambda t: t.month, count)
    if letter == "E":
        return (lambda t: t.strftime("%A")) if count >= 4 else (lambda t: t.strftime("%a"))
    if letter == "a":
        return lambda t: t.strftime("%p")
    if letter == "S":
        return _number(lambda t: t.microsecond // 1000, count)
    if letter == "Z":
        return lambda t: "+0000"
    if letter == "X":
        return lambda t: "Z"
    numbers: dict[str, Callable[[datetime.datetime], int]] = {
        "d": lambda t: t.day,
        "D": lambda t: t.timetuple().tm_yday,
        "H": lambda t: t.hour,
        "k": lambda t: t.hour or 24,
        "K": lambda t: t.hour % 12,
        "h": lambda t: t.hour % 12 or 12,
        "m": lambda t: t.minute,
        "s": lambda t: t.second,
        "u": lambda t: t.isoweekday(),
    }
    if letter in numbers:
        return _number(numbers[letter], count)
    raise ValueError(f"Illegal pattern character '{letter}'")


def date_format(pattern: str) -> Callable[[int], str]:
    """java.text.SimpleDateFormat(pattern) in UTC, as a function of epoch milliseconds."""
    parts: list[_Field] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "'":
            end = pattern.find("'", i + 1)
            if end < 0:
                raise ValueError("Unterminated quote")
            text = pattern[i + 1 : end] or "'"
            parts.append(lambda t, text=text: text)
            i = end + 1
        elif c.isascii() and c.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == c:
                j += 1
            parts.append(_letter(c, j - i))
            i = j
        else:
            parts.append(lambda t, c=c: c)
            i += 1

    def format(ms: int) -> str:
        moment = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
        return "".join(part(moment) for part in parts)

    return format


def _date_pattern(name: str, value: Any) -> None:
    if value is not None:
        try:
            date_format(str(value))
        except ValueError as error:
            raise ConfigException(f"Invalid value {value} for configuration {name}: {error}") from None


class TimestampRouter(Transformation):
    """Route to a topic named from the record's topic and timestamp, e.g. `sales-20261207`."""

    class_name = f"{PACKAGE}.TimestampRouter"

    def config_def(self) -> ConfigDef:
        return (
            ConfigDef()
            .define("topic.format", ConfigType.STRING, "${topic}-${timestamp}", Importance.HIGH,
                    "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as "
                    "placeholders for the topic and timestamp, respectively.")
            .define("timestamp.format", ConfigType.STRING, "yyyyMMdd", Importance.HIGH,
                    "Format string for the timestamp that is compatible with "
                    "<code>java.text.SimpleDateFormat</code>.", validators=[_date_pattern])
        )  # fmt: skip

    def configure(self, props: Mapping[str, Any]) -> None:
        config = self.config_def().parse(props)
        self.topic_format = config["topic.format"]
        self.format = date_format(config["timestamp.format"])

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        if record.timestamp is None:
            raise DataException(f"Timestamp missing on record: {record}")
        topic = self.topic_format.replace("${topic}", record.topic)
        return new_record(record, topic=topic.replace("${timestamp}", self.format(record.timestamp)))
