"""SQLite's event-log writer: a process of its own that stores batches of appends.

The event log (``eventlog.py``) hands every batch of appends to this process over a pipe and
gets one row per append back. It runs apart from the service's event loop because in the same
process it shared the GIL with it: a 50-append batch took 5.7 ms of wall time for 2 ms of CPU,
waiting for the GIL and the cores the loop held, and that one thread was busy 98% of the time,
so it set the relay's pace (docs/performance.md, eighth round).

A batch is five statements whatever its size, under SQLite's write lock (``BEGIN
IMMEDIATE``), so what the first two read stays true: read the conversations and the originals
of the batch's client ids; decide every append here, in order (a client id already stored, or
earlier in this batch, gets its original; otherwise the guard is checked against the state read,
since appends never change a conversation's state, and the append takes the next seq); insert
the rows; set the counters. Rows go in as bound VALUES (JSON input would cut text at a NUL
character) and come back as one JSON row per query. Should a batch fail, each append is tried
in a transaction of its own, so one bad append never fails its neighbours.

Every writer of one database file (one per service process: uvicorn workers or instances
sharing the file) takes an advisory lock on a file beside it (``DATABASE-writer.lock``, an
``flock``) around each transaction. SQLite's own wait for its write lock is a busy handler that
sleeps 1, 2, 5, 10, ... ms between tries whatever the holder does, so a second writer process
lost several milliseconds per batch and the relay's p99 reached 120-160 ms; the kernel wakes a
process waiting on the flock as soon as the holder lets go (docs/performance.md, twelfth round).
Other connections (the service's pool) do not take it and still meet the busy handler.

Only the standard library is imported here: the process starts in a few tens of milliseconds.
The event log runs this file by path (``python .../sqlite_writer.py DATABASE_PATH``); it reads
requests on stdin and answers on stdout, each a pickled object behind its 4-byte length, and
stops at end of input.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import pickle
import signal
import sqlite3
import struct
import sys
from collections.abc import Iterator
from typing import IO, Any

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's busy handler alone orders the writers
    fcntl = None  # type: ignore[assignment]

#: Appends per batch at most (the event log takes no more from its queue at once).
MAX_BATCH = 256

#: Every SQLite connection (the service's pool and this writer). SQLite's default
#: wal_autocheckpoint (1,000 pages) stays: ten times that made commits 20% cheaper on average
#: but the relay's p99 worse (docs/performance.md, seventh round).
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)

#: An append as sent to the writer: conversation id, kind, author, author name, text, payload,
#: client id, buttons (JSON text), meta (JSON text), guard states (or None), guard agent id,
#: clear resident_left_at.
Request = tuple[str, str, str, "str | None", "str | None", "str | None", "str | None", "str | None", "str | None",
                "tuple[str, ...] | None", "int | None", bool]  # fmt: skip

#: One answer per append, in the order sent: a row (seq, state, team, agent_id, channel, page,
#: lang, then the original's seq, kind, author, author_name, text, payload, buttons, meta,
#: created_at, then the current state and agent id), or the text of an error.
Answer = tuple[Any, ...] | str

_COLUMNS = "conversation_id, seq, kind, author, author_name, text, payload, client_id, buttons, meta, created_at"
_CONVERSATIONS_SQL = (
    "SELECT json_group_array(json_array(id, state, team, agent_id, channel, page, lang, last_seq)) "
    "FROM conversations WHERE id IN ({marks})"
)
_ORIGINALS_SQL = (
    "WITH k(cid, client_id) AS (VALUES {rows}) "
    "SELECT json_group_array(json_array(m.conversation_id, m.client_id, m.seq, m.kind, m.author, m.author_name, "
    "m.text, m.payload, m.buttons, m.meta, m.created_at)) "
    "FROM k JOIN messages AS m ON m.conversation_id = k.cid AND m.client_id = k.client_id"
)
_INSERT_SQL = f"INSERT INTO messages ({_COLUMNS}) VALUES {{rows}}"  # noqa: S608 - constant columns
_COUNTERS_SQL = (
    "WITH u(id, seq, clear_left) AS (VALUES {rows}) "
    "UPDATE conversations SET last_seq = u.seq, updated_at = ?, "
    "resident_left_at = CASE WHEN u.clear_left THEN NULL ELSE conversations.resident_left_at END "
    "FROM u WHERE conversations.id = u.id"
)


def sqlite_pragmas(connection: Any) -> None:
    """Apply :data:`SQLITE_PRAGMAS` to a DB-API (sqlite3) connection."""
    cursor = connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def connect(path: str) -> sqlite3.Connection:
    # The batch statements differ by row count: keep a prepared statement for each.
    db = sqlite3.connect(path, timeout=30, isolation_level=None, cached_statements=4 * MAX_BATCH)
    sqlite_pragmas(db)
    return db


def lock_path(path: str) -> str:
    """The file whose ``flock`` the writers of the database at ``path`` take in turn."""
    return f"{path}-writer.lock"


class WriterLock:
    """The writers' advisory lock on :func:`lock_path` (a no-op where ``fcntl`` is missing).

    Held around BEGIN IMMEDIATE .. COMMIT only, so SQLite's own lock stays the rule for every
    other connection; the kernel drops it with the process, however that ends.
    """

    def __init__(self, path: str) -> None:
        self._fd: int | None = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o600) if fcntl is not None else None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        if self._fd is None:
            yield
            return
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@functools.lru_cache(maxsize=4 * MAX_BATCH)
def _sql(template: str, rows: int, width: int) -> str:
    """``template`` with ``rows`` rows of ``width`` placeholders (``{marks}``: one flat list)."""
    if "{marks}" in template:
        return template.format(marks=", ".join("?" * rows))
    row = "(" + ", ".join("?" * width) + ")"
    return template.format(rows=", ".join([row] * rows))


def _json_rows(db: sqlite3.Connection, template: str, width: int, args: list[Any]) -> list[list[Any]]:
    """Run a one-row ``json_group_array`` query over ``args`` (``width`` values per row); decode it."""
    (encoded,) = db.execute(_sql(template, len(args) // width, width), args).fetchone()
    return json.loads(encoded) if encoded else []


def _rows(db: sqlite3.Connection, batch: list[Request], stamp: str) -> list[Answer]:
    """The batch's five statements (inside the caller's transaction) and its answers."""
    nothing = (None,) * 7
    conversation_ids = list(dict.fromkeys(request[0] for request in batch))
    conversations = {row[0]: row[1:] for row in _json_rows(db, _CONVERSATIONS_SQL, 1, conversation_ids)}
    keys = [v for request in batch if request[6] is not None for v in (request[0], request[6])]
    originals: dict[tuple[str, str | None], tuple[Any, ...]] = {}
    if keys:
        for row in _json_rows(db, _ORIGINALS_SQL, 2, keys):
            originals[(row[0], row[1])] = tuple(row[2:])
    answers: list[Answer] = []
    inserts: list[Any] = []
    counters: dict[str, list[Any]] = {}  # conversation id -> [last seq, clear resident_left_at]
    for cid, kind, author, name, text, payload, client_id, buttons, meta, states, agent, clear in batch:
        key = (cid, client_id)
        if client_id is not None and key in originals:
            answers.append((*nothing, *originals[key], None, None))
            continue
        conversation = conversations.get(cid)
        if conversation is None:
            answers.append((*nothing, *(None,) * 11))
            continue
        state, team, agent_id, channel, page, lang, last_seq = conversation
        if states is not None and (state not in states or (agent is not None and agent_id != agent)):
            answers.append((*nothing, *(None,) * 9, state, agent_id))
            continue
        seq = conversation[6] = last_seq + 1
        inserts += (cid, seq, kind, author, name, text, payload, client_id, buttons, meta, stamp)
        if client_id is not None:
            originals[key] = (seq, kind, author, name, text, payload, buttons, meta, stamp)
        counter = counters.setdefault(cid, [seq, False])
        counter[0] = seq
        counter[1] = counter[1] or clear
        answers.append((seq, state, team, agent_id, channel, page, lang, *(None,) * 11))
    if inserts:
        db.execute(_sql(_INSERT_SQL, len(inserts) // 11, 11), inserts)
        args = [v for cid, (seq, clear) in counters.items() for v in (cid, seq, clear)]
        db.execute(_sql(_COUNTERS_SQL, len(counters), 3), [*args, stamp])
    return answers


def _transaction(db: sqlite3.Connection, lock: WriterLock, batch: list[Request], stamp: str) -> list[Answer]:
    with lock.held():
        db.execute("BEGIN IMMEDIATE")
        try:
            answers = _rows(db, batch, stamp)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return answers


def store(db: sqlite3.Connection, lock: WriterLock, batch: list[Request], stamp: str) -> list[Answer]:
    """One transaction for the batch; should it fail, one per append."""
    try:
        return _transaction(db, lock, batch, stamp)
    except Exception as exc:
        if len(batch) == 1:
            return [_error(exc)]
    answers: list[Answer] = []
    for request in batch:
        try:
            answers += _transaction(db, lock, [request], stamp)
        except Exception as exc:  # noqa: BLE001 - answered to its caller
            answers.append(_error(exc))
    return answers


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


_LENGTH = struct.Struct("!I")


def send(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    """The next message, or EOFError when the other side has closed the pipe."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # noqa: S301 - our own parent process, over our own pipe


def main(argv: list[str]) -> int:
    # Ctrl-C reaches the whole process group: the service decides when this writer stops (it
    # closes the pipe once what was queued is written).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    db = connect(argv[1])
    lock = WriterLock(argv[1])
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    send(answers, "ready")
    while True:
        try:
            batch, stamp = receive(requests)
        except EOFError:
            break
        send(answers, store(db, lock, batch, stamp))
    lock.close()
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
