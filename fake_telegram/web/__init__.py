"""A web page over the emulator: one Telegram-like chat pane per person, live.

:class:`Site` serves a static page (``static/``: HTML, JS and CSS, no build step) and its
JSON API and server-sent events; :class:`People` are the fake users it can play. The page
acts only through :class:`..FakeUser`, so the bot under test sees real Bot API updates.
"""

from .people import GROUPS, People, Person
from .site import STATIC, Site

__all__ = ["GROUPS", "STATIC", "People", "Person", "Site"]
