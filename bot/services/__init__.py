"""Use cases. They depend on domain ports, never on Telegram, SQLite or Jinja."""
