"""The producer's accumulator: one open RecordBatch v2 body per partition, and the
delivery future each send() returns.

As in the Java client's `RecordAccumulator`/`ProducerBatch`, a record is encoded into
its partition's open batch the moment it is sent (bytes, not a Python object kept per
record), and the batch is framed once, when the sender takes it. A batch is acknowledged
as a whole, so its records' futures are too: `RecordFuture` is a light future-like
handle (it speaks asyncio's Future protocol: await it, gather it, add_done_callback,
cancel) that points at its batch and its index there. Finishing a batch costs one
`call_soon`, for all the records someone is waiting on, and none for the records nobody
awaits; a record's RecordMetadata is built only when someone asks for it (Kafka's
`FutureRecordMetadata` over `ProduceRequestResult` works the same way).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Generator, Sequence
from typing import Any

from kafkatui.common.clients import Compression, RecordMetadata
from kafkatui.engine.log.records import (
    RecordTuple,
    decode_record_tuples,
    frame_batch,
    read_header,
)

# A record as `Producer.send_batch` takes it: (partition, key, value, headers, timestamp).
BatchRecord = tuple[int | None, Any, Any, Sequence[tuple[str, bytes | str | None]], int | None]

# Bytes a record costs in a batch beyond its key, value and headers (varints, attributes).
RECORD_OVERHEAD = 21
BATCH_OVERHEAD = 61


class ProducerBatch:
    """A partition's batch: the records' encoded bytes while it is open, then its
    outcome (base offset and log-append time, or the error) once the broker answered."""

    __slots__ = (
        "_records",
        "base_offset",
        "base_sequence",
        "base_timestamp",
        "body",
        "count",
        "created_ms",
        "done",
        "error",
        "log_append_time",
        "loop",
        "max_timestamp",
        "partition",
        "pieces",
        "producer_epoch",
        "sealed",
        "size",
        "topic",
        "waiters",
    )

    def __init__(self, topic: str, partition: int, created_ms: int, loop: asyncio.AbstractEventLoop) -> None:
        self.topic = topic
        self.partition = partition
        self.created_ms = created_ms
        self.loop = loop
        self.body = bytearray()
        self.count = 0
        self.base_timestamp = 0
        self.max_timestamp = 0
        self.size = BATCH_OVERHEAD  # the estimate batch.size is measured against
        self.sealed = False
        # Idempotence: the epoch and first sequence given when it was first sent (-1: not yet).
        self.producer_epoch = -1
        self.base_sequence = -1
        self.done = False
        self.base_offset = -1
        self.log_append_time = -1
        self.error: BaseException | None = None
        # A batch the broker refused as too large is sent again one record per batch:
        # then each record's outcome is its piece's.
        self.pieces: list[ProducerBatch] | None = None
        self.waiters: list[RecordFuture] | None = None
        self._records: list[RecordTuple] | None = None

    def frame(
        self,
        *,
        producer_id: int = -1,
        producer_epoch: int = -1,
        base_sequence: int = -1,
        is_transactional: bool = False,
        compression: Compression = Compression.NONE,
    ) -> bytes:
        """The batch as the bytes a Produce request carries (base offset 0: the leader
        assigns offsets)."""
        return frame_batch(
            self.body,
            self.count,
            base_offset=0,
            base_timestamp=self.base_timestamp,
            max_timestamp=self.max_timestamp,
            last_offset_delta=self.count - 1,
            producer_id=producer_id,
            producer_epoch=producer_epoch,
            base_sequence=base_sequence,
            is_transactional=is_transactional,
            compression=compression,
        )

    def records(self) -> list[RecordTuple]:
        """The records as (offset delta, timestamp, key, value, headers), decoded once
        and only when a future's metadata or a split needs them."""
        if self._records is None:
            data = self.frame()
            self._records = decode_record_tuples(data, read_header(data))
        return self._records

    # --- the outcome -----------------------------------------------------------------

    def complete(self, base_offset: int, log_append_time: int) -> None:
        self.base_offset = base_offset
        self.log_append_time = log_append_time
        self._finish()

    def fail(self, error: BaseException) -> None:
        self.error = error
        self._finish()

    def finish_split(self, pieces: list[ProducerBatch]) -> None:
        self.pieces = pieces
        self._finish()

    def _finish(self) -> None:
        if self.done:
            return
        self.done = True
        if self.waiters:
            self.loop.call_soon(self._wake)

    def _wake(self) -> None:
        waiters, self.waiters = self.waiters or [], None
        for future in waiters:
            future._run_callbacks()

    def wait(self) -> asyncio.Future[None]:
        """Done when the batch is (for who waits on the batch, not on one record: its
        outcome is read from it then)."""
        done = self.loop.create_future()
        if self.done:
            done.set_result(None)
        else:
            RecordFuture(self, 0).add_done_callback(lambda _: done.done() or done.set_result(None))
        return done

    def outcome(self, index: int) -> tuple[ProducerBatch, int]:
        """The batch (this one or its piece) that decided the record at `index`."""
        if self.pieces is not None:
            return self.pieces[index], 0
        return self, index


class RecordFuture:
    """The future of one record of a batch (asyncio's Future protocol, duck-typed).

    Completed when its batch is: `done()` turns true at once, and the callbacks of
    every waiting record of the batch run from one loop callback.
    """

    __slots__ = ("_asyncio_future_blocking", "_batch", "_callbacks", "_cancel_message", "_index")

    def __init__(self, batch: ProducerBatch, index: int) -> None:
        self._batch = batch
        self._index = index
        self._callbacks: list[tuple[Callable[[Any], object], contextvars.Context | None]] | None = None
        self._cancel_message: Any = _NOT_CANCELLED
        self._asyncio_future_blocking = False

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._batch.loop

    def cancelled(self) -> bool:
        return self._cancel_message is not _NOT_CANCELLED

    def done(self) -> bool:
        return self._batch.done or self._cancel_message is not _NOT_CANCELLED

    def cancel(self, msg: Any = None) -> bool:
        """Stop waiting for this record (it is still sent, as with a real Future)."""
        if self.done():
            return False
        self._cancel_message = msg
        if self._callbacks:
            self._batch.loop.call_soon(self._run_callbacks)
        return True

    def _make_cancelled_error(self) -> asyncio.CancelledError:
        message = self._cancel_message
        return asyncio.CancelledError() if message is None else asyncio.CancelledError(message)

    # exception() and result() run once per awaited record (asyncio's Task calls both
    # when a future it waits on is done): the checks are inlined, not delegated.
    def exception(self) -> BaseException | None:
        if self._cancel_message is not _NOT_CANCELLED:
            raise self._make_cancelled_error()
        batch = self._batch
        if not batch.done:
            raise asyncio.InvalidStateError("Exception is not set.")
        return batch.error if batch.pieces is None else batch.pieces[self._index].error

    def result(self) -> RecordMetadata:
        if self._cancel_message is not _NOT_CANCELLED:
            raise self._make_cancelled_error()
        batch = self._batch
        if not batch.done:
            raise asyncio.InvalidStateError("Result is not set.")
        if batch.pieces is None:
            decided, index = batch, self._index
        else:
            decided, index = batch.pieces[self._index], 0
        if decided.error is not None:
            raise decided.error
        _, timestamp, key, value, _ = batch.records()[self._index]
        base = decided.base_offset
        return RecordMetadata(
            batch.topic,
            batch.partition,
            base + index if base >= 0 else -1,
            decided.log_append_time if decided.log_append_time >= 0 else timestamp,
            len(key) if key is not None else -1,
            len(value) if value is not None else -1,
        )

    def add_done_callback(
        self, fn: Callable[[Any], object], *, context: contextvars.Context | None = None
    ) -> None:
        if self.done():
            if context is None:
                self._batch.loop.call_soon(fn, self)
            else:
                self._batch.loop.call_soon(fn, self, context=context)
            return
        if self._callbacks is None:
            self._callbacks = []
            batch = self._batch
            if batch.waiters is None:
                batch.waiters = []
            batch.waiters.append(self)
        self._callbacks.append((fn, context))

    def remove_done_callback(self, fn: Callable[[Any], object]) -> int:
        if not self._callbacks:
            return 0
        kept = [(f, c) for f, c in self._callbacks if f != fn]
        removed = len(self._callbacks) - len(kept)
        self._callbacks[:] = kept
        return removed

    def _run_callbacks(self) -> None:
        callbacks, self._callbacks = self._callbacks, None
        for fn, context in callbacks or ():
            try:
                if context is None:
                    fn(self)
                else:
                    context.run(fn, self)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as error:  # as asyncio's Handle does: report, go on
                self._batch.loop.call_exception_handler(
                    {"message": f"Exception in callback {fn!r}", "exception": error, "future": self}
                )

    def __await__(self) -> Any:
        if not self.done():
            self._asyncio_future_blocking = True
            yield self
        if not self.done():
            raise RuntimeError("await wasn't used with future")
        return self.result()

    __iter__ = __await__

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled() else "finished" if self.done() else "pending"
        return f"<RecordFuture {state} {self._batch.topic}-{self._batch.partition}#{self._index}>"


_NOT_CANCELLED = object()


# A NamedTuple made from its fields' tuple, without the Python-level __new__ the class
# generates (half the cost; one is made per record of a batch).
_new_tuple = tuple.__new__

# Where `send_batch` put a record: its batch, its index there, its timestamp, and the
# sizes of its key and value (-1 for none), which is all its RecordMetadata needs.
Placed = tuple[ProducerBatch, int, int, int, int]


class SentRecords:
    """Records sent together (`Producer.send_batch`): awaiting it waits for the batches
    they went into (one future each, not one per record) and gives every record's
    RecordMetadata, or the error it got, in the order they were sent."""

    __slots__ = ("_batches", "_placed", "topic")

    def __init__(self, topic: str, placed: list[Placed | BaseException], batches: set[ProducerBatch]) -> None:
        self.topic = topic
        self._placed = placed
        self._batches = batches

    def __len__(self) -> int:
        return len(self._placed)

    def done(self) -> bool:
        return all(batch.done for batch in self._batches)

    def __await__(self) -> Generator[Any, None, list[RecordMetadata | BaseException]]:
        for batch in self._batches:
            if not batch.done:
                yield from batch.wait().__await__()
        return self.results()

    def results(self) -> list[RecordMetadata | BaseException]:
        """Each record's outcome (once done)."""
        topic, out = self.topic, []
        append = out.append
        for place in self._placed:
            if place.__class__ is not tuple:
                append(place)  # type: ignore[arg-type]
                continue
            batch, index, timestamp, key_size, value_size = place  # type: ignore[misc]
            decided = batch if batch.pieces is None else batch.pieces[index]
            if decided.error is not None:
                append(decided.error)
                continue
            base = decided.base_offset
            append(_new_tuple(RecordMetadata, (
                topic, batch.partition,
                (base + (index if decided is batch else 0)) if base >= 0 else -1,
                decided.log_append_time if decided.log_append_time >= 0 else timestamp,
                key_size, value_size,
            )))  # fmt: skip
        return out
