"""One class owns SQLite: PRAGMAs, versioned migrations, a single writer, a reader, backups."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.domain.inbox import Handling

_LOGGER = logging.getLogger(__name__)
MIGRATIONS_PACKAGE = "bot.storage.migrations"
# The inbox update being handled in this task, and when (set by bot/storage/inbox.py).
HANDLING: contextvars.ContextVar[Handling | None] = contextvars.ContextVar(
    "inbox_handling", default=None
)
_MARK_HANDLED = (
    "UPDATE inbox SET state = 'handled', effect = 1, handled_at = ? "
    "WHERE update_id = ? AND state = 'handling'"
)


def migrations() -> list[tuple[int, str, str]]:
    """Return (version, name, sql) for every numbered migration, in order."""
    found = []
    for entry in resources.files(MIGRATIONS_PACKAGE).iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class DatabaseUnavailable(Exception):
    """The database cannot be used as configured: its folder, its permissions, its content."""


_WHERE = "[storage] database, LEGAL_AID_STORAGE_DATABASE"


class Database:
    """A SQLite database in WAL mode: one writer connection behind a lock, one reader."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        # SQLite keeps a connection's read snapshot while any of its statements is active, so
        # two overlapping reads on the reader would let the second miss a commit made between
        # them. One read at a time (each fully fetched, its cursor closed) means every read
        # starts a fresh snapshot and sees every write committed before it began.
        self._read_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, path: Path, *, busy_timeout_ms: int = 5000, migrate: bool = True
    ) -> Database:
        """Open (creating when missing) and migrate the database at path.

        Raises DatabaseUnavailable, with one sentence for the operator, when the folder cannot
        be made, the file cannot be written, or it is not this bot's SQLite database; such a
        file is left as it was (nothing is written before it has been read).
        """
        if str(path) != ":memory:":
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                existing = next((p for p in path.parents if p.exists()), None)
                blocked = existing is not None and not existing.is_dir()
                why = f"{existing} is a file" if blocked else exc.strerror or str(exc)
                raise DatabaseUnavailable(
                    f"cannot create the folder {path.parent} for the database {path}: {why} "
                    f"({_WHERE})"
                ) from None
            await asyncio.to_thread(_probe, path)
        opened: list[aiosqlite.Connection] = []
        try:
            writer = await cls._connect(path, busy_timeout_ms)
            opened.append(writer)
            await writer.execute("PRAGMA journal_mode=WAL")
            if migrate:
                await _migrate(writer)
            reader = await cls._connect(path, busy_timeout_ms)
            opened.append(reader)
            await reader.execute("PRAGMA query_only=ON")
        except BaseException as exc:
            # aiosqlite's worker threads are not daemons: left open, the process never exits.
            for conn in reversed(opened):
                await conn.close()
            if isinstance(exc, sqlite3.Error | OSError):
                raise DatabaseUnavailable(_problem(path, exc)) from None
            raise
        return cls(path, writer, reader)

    @staticmethod
    async def _connect(path: Path, busy_timeout_ms: int) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            await conn.close()  # (see open: a connection left open keeps the process alive)
            raise
        return conn

    async def close(self) -> None:
        """Close both connections (the WAL is checkpointed by SQLite on last close)."""
        await self._reader.close()
        await self._writer.close()

    @contextlib.asynccontextmanager
    async def transaction(self, *, effect: bool = True) -> AsyncIterator[aiosqlite.Connection]:
        """Run a write transaction on the single writer; commit on success, roll back on error.

        While an inbox update is being handled (bot/storage/inbox.py, `handling`), a write that
        is an effect of it marks the update handled in the same transaction, so that a crash
        leaves either both or neither. Bookkeeping that every update does (recording that a
        user was seen, logging a FAQ question) passes effect=False: it does not count as
        having handled the update.
        """
        mark = HANDLING.get() if effect else None
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
                if mark is not None:
                    await self._writer.execute(_MARK_HANDLED, (mark.at, mark.update_id))
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")
            if mark is not None:
                mark.written = True

    async def write(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """Run one writing statement on its own (atomic by itself); return RETURNING rows."""
        async with self._write_lock, self._writer.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        """Read one row of the latest committed data."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """Read all rows of the latest committed data."""
        async with self._read_lock, self._reader.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def schema_version(self) -> int:
        """Return the highest applied migration."""
        row = await self.fetchone("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(row[0]) if row else 0

    async def backup(self, target: Path) -> None:
        """Write a consistent copy of the live database to target (SQLite's online backup)."""
        await asyncio.to_thread(_prepare_target, target)
        async with aiosqlite.connect(target) as dest, self._write_lock:
            await self._writer.backup(dest)


def _probe(path: Path) -> None:
    """Open the database once with the standard library, reading only, before aiosqlite does.

    Whatever makes the file unusable shows here (a folder, no permission, not SQLite, another
    application's database) rather than in aiosqlite, whose worker thread outlives a failed
    connect and then fails itself on the closed event loop. Nothing is written to the file.
    """
    try:
        conn = sqlite3.connect(path)
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(_problem(path, exc)) from None
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(_problem(path, exc)) from None
    finally:
        conn.close()
    tables = {row[0] for row in rows}
    if tables and "schema_migrations" not in tables:
        raise DatabaseUnavailable(
            f"{path} is an SQLite database of something else (it has tables but no "
            f"schema_migrations); it was left untouched ({_WHERE})"
        )


def _problem(path: Path, exc: sqlite3.Error | OSError) -> str:
    """One sentence for why SQLite could not open or write the database."""
    name = getattr(exc, "sqlite_errorname", "")
    if path.is_dir():
        return f"the database {path} is a folder, not a file ({_WHERE})"
    if name == "SQLITE_NOTADB":
        return f"{path} is not an SQLite database; it was left untouched ({_WHERE})"
    if name == "SQLITE_BUSY":
        return f"the database {path} is locked by another process ({exc})"
    return f"cannot write the database {path}: {exc} ({_WHERE})"


async def _migrate(conn: aiosqlite.Connection) -> None:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT version FROM schema_migrations") as cursor:
        applied = {row[0] for row in await cursor.fetchall()}
    for version, name, sql in migrations():
        if version in applied:
            continue
        _LOGGER.info("Applying migration %s", name)
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) "
                "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                (version, name),
            )
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")


def _statements(sql: str) -> list[str]:
    """Split a migration into complete statements (executescript would commit on its own)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
    ):
        raise ValueError(f"incomplete SQL statement in migration: {buffer[:80]!r}")
    return statements


def _prepare_target(target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
