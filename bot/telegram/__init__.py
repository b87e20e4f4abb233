"""The Telegram edge: handlers, keyboards, callback data, menus, persistence, error handling."""
