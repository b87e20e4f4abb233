"""SQLite storage: the only package that imports aiosqlite or holds SQL."""
