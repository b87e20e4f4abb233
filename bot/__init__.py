"""Enterprise Legal Aid Bot: the Telegram front door to a city's enterprise legal-aid programme."""

__version__ = "0.1.0"
