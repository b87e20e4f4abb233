"""`legal-aid-bot sandbox`: the whole bot against the built-in Bot API emulator, with a web page
that plays every role. The only part of `bot` that knows the emulator (fake_telegram)."""
