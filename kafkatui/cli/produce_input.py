"""`kafkatui produce`'s stdin: bytes, split into records, checked before any is sent.

A Kafka value is bytes, so stdin is read as bytes. `--input text` (the default) takes
UTF-8 lines and stops at a line that is not UTF-8, naming it; `--input raw` sends each
line's bytes as they are (like kcat -P); `--input whole` sends all of stdin as one record
(a file, an image).

An input error must not leave half a batch behind, so records are held until stdin ends
and only then sent. A stream that does not end (`tail -f log |`, a person typing) cannot
be held: records are sent as their lines arrive once stdin has stayed open for
`HOLD_SECONDS` (at once on a terminal), or `HOLD_BYTES` are held; an input error then
says how many records were produced before it.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from kafkatui.common.errors import ErrorCode, KafkaError

HOLD_SECONDS = 1.0
HOLD_BYTES = 16 * 1024 * 1024
_CHUNK = 64 * 1024


class InputFormat(enum.StrEnum):
    text = "text"  # UTF-8 lines; "\n" or "\r\n" ends one
    raw = "raw"  # lines of bytes, as they are; "\n" ends one
    whole = "whole"  # all of stdin is one record


@dataclass(frozen=True)
class InputRecord:
    key: bytes | None
    value: bytes | None  # None: a tombstone (a schema's JSON null)
    line: int | None = None  # stdin's line it came from, for errors that name it


class InputError(KafkaError):
    """A line stdin cannot be turned into a record (INVALID_RECORD, as a broker would
    call a record it refuses; here it never left the machine)."""

    def __init__(self, line: int, why: str, hint: str = "") -> None:
        super().__init__(ErrorCode.INVALID_RECORD, f"stdin line {line} {why}")
        self.line = line
        self.hint = hint

    def saying(self, what_was_sent: str) -> KafkaError:
        """The one-line error: what is wrong, what was sent, what to do."""
        hint = f" ({self.hint})" if self.hint else ""
        return KafkaError(self.code, f"{self.message}; {what_was_sent}{hint}")


class LineParser:
    """Complete lines of stdin → records: the key split off at `separator` (kcat -K),
    else `key`; empty lines skipped; in text mode every line must be UTF-8."""

    def __init__(self, fmt: InputFormat, separator: bytes | None, key: bytes | None) -> None:
        self.fmt = fmt
        self.separator = separator
        self.key = key
        self.lines = 0

    def parse(self, line: bytes) -> InputRecord | None:
        self.lines += 1
        if self.fmt is InputFormat.text:
            line = line.rstrip(b"\r")  # "\r\n" ends a line of text too
            try:
                line.decode()
            except UnicodeDecodeError as error:
                raise InputError(
                    self.lines,
                    f"is not UTF-8 (byte 0x{line[error.start]:02x} at column {error.start + 1})",
                    "--input raw sends lines as the bytes they are",
                ) from None
        if not line:
            return None
        if self.separator is not None:
            key, sep, value = line.partition(self.separator)
            if sep:
                return InputRecord(key, value, self.lines)
        return InputRecord(self.key, line, self.lines)


class StdinRecords:
    """The records of a stdin read on a thread (a blocking read never stalls the event
    loop, so a stream can be sent while it arrives): `read_ahead()` holds them, then
    `rest()` yields those that come after."""

    def __init__(self, stream: BinaryIO, parser: LineParser, *, interactive: bool) -> None:
        self._stream = stream
        self._parser = parser
        self.interactive = interactive
        self._chunks: asyncio.Queue[bytes | BaseException] = asyncio.Queue()
        self._partial = b""
        self.ended = False
        self.held_bytes = 0

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        read = self._reader()

        def post(item: bytes | BaseException) -> bool:
            try:
                loop.call_soon_threadsafe(self._chunks.put_nowait, item)
            except RuntimeError:  # the command is over (its loop closed): stop reading
                return False
            return True

        def pump() -> None:
            try:
                while post(chunk := read(_CHUNK)) and chunk:
                    pass
            except Exception as error:  # stdin closed under us: raised in the loop
                post(error)

        # A daemon: a terminal or a pipe that never ends must not keep the process alive.
        threading.Thread(target=pump, name="kafkatui-stdin", daemon=True).start()

    def _reader(self) -> Callable[[int], bytes]:
        """What has arrived, up to n bytes, from the file descriptor itself: a thread
        blocked in a BufferedReader holds its lock, and an interpreter shutting down
        aborts on it ("could not acquire lock for <stdin>")."""
        try:
            return functools.partial(os.read, self._stream.fileno())
        except (OSError, AttributeError, ValueError):  # not a file (a test's BytesIO)
            return getattr(self._stream, "read1", self._stream.read)  # type: ignore[no-any-return]

    async def read_ahead(self) -> list[InputRecord]:
        """Every record until stdin ends (then `ended`), or until it has stayed open for
        HOLD_SECONDS or HOLD_BYTES came (at once on a terminal): a stream from then on."""
        self.start()
        held: list[InputRecord] = []
        if self.interactive and self._parser.fmt is not InputFormat.whole:
            return held
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HOLD_SECONDS
        while not self.ended:
            if self._parser.fmt is not InputFormat.whole:
                if self.held_bytes >= HOLD_BYTES:
                    break
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    chunk = await asyncio.wait_for(self._chunks.get(), remaining)
                except TimeoutError:
                    break
            else:
                chunk = await self._chunks.get()
            held.extend(self._take(chunk))
        return held

    async def rest(self) -> AsyncIterator[InputRecord]:
        """The records that arrive after `read_ahead()`, as their lines complete."""
        while not self.ended:
            for record in self._take(await self._chunks.get()):
                yield record

    def _take(self, chunk: bytes | BaseException) -> Iterator[InputRecord]:
        """The records `chunk` completes, parsed one by one: in a stream, those before a
        bad line are sent before it raises."""
        if isinstance(chunk, BaseException):
            raise chunk
        self.held_bytes += len(chunk)
        if self._parser.fmt is InputFormat.whole:
            self._partial += chunk
            if not chunk:
                self.ended = True
                if self._partial:
                    yield InputRecord(self._parser.key, self._partial, 1)
            return
        if not chunk:  # the end: a last line without its newline
            self.ended = True
            lines, self._partial = [self._partial] if self._partial else [], b""
        else:
            *lines, self._partial = (self._partial + chunk).split(b"\n")
        for line in lines:
            if (record := self._parser.parse(line)) is not None:
                yield record
