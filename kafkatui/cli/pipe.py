"""A closed stdout: how every command ends when its reader goes away (`| head`).

Unix tools die of SIGPIPE there, silently. Python ignores the signal and raises
BrokenPipeError wherever the write happened instead, which for a lesson is inside the
engine's event listeners, where an exception kills an engine task and leaves the command
waiting for it forever. So the consoles (`context._Console`) report a closed pipe here:
the rest of the output goes to /dev/null (so no "Exception ignored" at exit), and the
command's own task gets BrokenPipeError at its next write, an ordinary exception that
runs its `finally`s (the cluster closes). `run_async` and `main.run` turn it into the
shell's status for SIGPIPE. Kept free of heavy imports: `run()` loads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sys
from typing import IO, Any

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `yes | head -1`'s yes


class ClosedOutput:
    """Whether stdout or stderr lost its reader, and which task is the command's."""

    def __init__(self) -> None:
        self.closed = False
        self.command: asyncio.Task[Any] | None = None

    def close(self, stream: IO[str] | None = None) -> None:
        """Send what is still written to `stream` (stdout by default) to /dev/null, so
        later writes and the interpreter's last flush succeed."""
        self.closed = True
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, (stream or sys.stdout).fileno())
            os.close(devnull)

    def stop_here(self) -> None:
        """Raise BrokenPipeError if this is the command itself writing (its task, or no
        event loop at all); elsewhere (an engine task or callback) the write just vanishes
        and the command stops at its own next write."""
        try:
            current = asyncio.current_task()
        except RuntimeError:  # no running loop: a synchronous command
            current = None
        if current is None or current is self.command:
            raise BrokenPipeError(errno.EPIPE, "the reader of the output went away")


closed_output = ClosedOutput()
