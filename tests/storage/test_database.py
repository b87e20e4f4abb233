"""The Database class: PRAGMAs, migrations, read-your-writes under concurrency, backup."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.storage.database import Database, migrations


async def test_pragmas_and_migrations(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "sub" / "x.db")
    try:
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
        assert (await db.fetchone("PRAGMA busy_timeout"))[0] == 5000  # type: ignore[index]
        assert await db.schema_version() == max(v for v, _, _ in migrations())
    finally:
        await db.close()
    again = await Database.open(tmp_path / "sub" / "x.db")  # applying twice changes nothing
    try:
        rows = await again.fetchall("SELECT version FROM schema_migrations")
        assert [r[0] for r in rows] == [v for v, _, _ in migrations()]
    finally:
        await again.close()


async def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.db")
    try:
        try:
            async with db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO contacts (enterprise_id, created_at, updated_at) "
                    "VALUES (999, 'now', 'now')"
                )
        except sqlite3.IntegrityError:
            pass
        else:
            raise AssertionError("a contact of a missing enterprise was accepted")
        assert (await db.fetchone("SELECT COUNT(*) FROM contacts"))[0] == 0  # type: ignore[index]
    finally:
        await db.close()


async def test_every_read_sees_every_committed_write_under_concurrency(tmp_path: Path) -> None:
    """A read that starts after a commit sees it, even while other reads are in flight."""
    db = await Database.open(tmp_path / "x.db")

    async def write_then_read(n: int) -> bool:
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO accounts (telegram_id, created_at, updated_at) VALUES (?, 'a', 'a')",
                (n,),
            )
        row = await db.fetchone("SELECT telegram_id FROM accounts WHERE telegram_id = ?", (n,))
        return row is not None

    async def keep_reading() -> None:
        for _ in range(300):
            await db.fetchall("SELECT * FROM accounts")

    try:
        results = await asyncio.gather(
            *(write_then_read(n) for n in range(300)), keep_reading(), keep_reading()
        )
        assert all(r for r in results if r is not None)
    finally:
        await db.close()


async def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.db")
    try:
        try:
            async with db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO accounts (telegram_id, created_at, updated_at) "
                    "VALUES (1, 'a', 'a')"
                )
                raise RuntimeError("crash between two writes")
        except RuntimeError:
            pass
        assert (await db.fetchone("SELECT COUNT(*) FROM accounts"))[0] == 0  # type: ignore[index]
    finally:
        await db.close()


async def test_backup_while_writing(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.db")
    try:
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO accounts (telegram_id, created_at, updated_at) VALUES (1, 'a', 'a')"
            )
        await db.backup(tmp_path / "copy" / "b.db")
        with sqlite3.connect(tmp_path / "copy" / "b.db") as copy:
            assert copy.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 1
    finally:
        await db.close()
