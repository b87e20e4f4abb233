"""Enterprise Legal Aid Bot: the Telegram front door to a city's enterprise legal-aid programme."""

import os

# Opt in to python-telegram-bot's coming behaviour: durations such as RetryAfter.retry_after
# are datetime.timedelta. Without it PTB 22 warns on every 429 answer.
os.environ.setdefault("PTB_TIMEDELTA", "1")

__version__ = "0.1.0"
