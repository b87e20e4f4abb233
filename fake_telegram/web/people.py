"""The people of the page: fake users with what a chat list shows (role line, group, phone)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..state import FakeState

__all__ = ["GROUPS", "People", "Person"]

# Sidebar groups, in display order.
GROUPS = ("owners", "staff", "others", "added")
_FIRST_ADDED_ID = 50001


@dataclass
class Person:
    """One person the page can play: a fake user of the emulator and how the page shows them."""

    id: int
    name: str
    language_code: str
    role: str = ""
    group: str = "added"
    phone: str = ""
    open: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON for the page."""
        return asdict(self)


class People:
    """The people of the page, each a user of ``api`` (created on :meth:`add`)."""

    def __init__(self, api: FakeState) -> None:
        self.api = api
        self._people: dict[int, Person] = {}

    def __contains__(self, user_id: int) -> bool:
        return user_id in self._people

    def __iter__(self) -> Any:
        return iter(self._people.values())

    def get(self, user_id: int) -> Person | None:
        """The person with this user id, if the page knows them."""
        return self._people.get(user_id)

    def add(self, person: Person) -> Person:
        """Add (or replace) a person; their fake user is created if new."""
        if person.group not in GROUPS:
            raise ValueError(f"unknown group {person.group!r}")
        user = self.api.user(person.id, first_name=person.name, language_code=person.language_code)
        user.first_name, user.language_code = person.name, person.language_code
        self._people[person.id] = person
        return person

    def add_new(self, name: str, language_code: str) -> Person:
        """A person added from the page: the next free id, a phone number made from it."""
        name = name.strip()
        if not name or len(name) > 64:
            raise ValueError("a name of 1 to 64 characters is needed")
        language_code = language_code.strip().lower()
        if not language_code or len(language_code) > 10:
            raise ValueError("a client language code such as zh-hans or en is needed")
        user_id = max([_FIRST_ADDED_ID - 1, *self._people, *self.api.users]) + 1
        phone = f"+86139{user_id % 100_000_000:08d}"
        return self.add(Person(user_id, name, language_code, "", "added", phone, open=True))

    def to_list(self) -> list[dict[str, Any]]:
        """Everyone, as JSON, in the order they were added."""
        return [p.to_dict() for p in self._people.values()]

    def load(self, data: list[dict[str, Any]]) -> None:
        """Add the people of :meth:`to_list` output."""
        for entry in data:
            self.add(Person(**entry))
