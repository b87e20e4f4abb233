"""Ports: what the services need from the outside world, as Protocols the edges implement."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain.models import DialogState, Enterprise, EnterpriseSource, Language, Registration


class Clock(Protocol):
    """The current time, injected so tests can move it."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware (UTC)."""
        ...


class AccountStore(Protocol):
    """Telegram accounts the bot has met and their preferences."""

    async def languages_of(self, telegram_id: int) -> tuple[Language | None, Language | None]:
        """Return the language chosen with /language and the client's last known one."""
        ...

    async def set_language(self, telegram_id: int, language: Language) -> None:
        """Remember the user's chosen language."""
        ...


class DialogStore(Protocol):
    """Every answered step of a dialog, written before the bot acknowledges it."""

    async def load_dialog(self, name: str, chat_id: int, user_id: int) -> DialogState | None:
        """Return the stored state of one user's dialog, if any."""
        ...

    async def save_dialog(self, dialog: DialogState) -> None:
        """Write the dialog's state and answers (insert or replace)."""
        ...

    async def delete_dialog(self, name: str, chat_id: int, user_id: int) -> None:
        """Forget a finished or cancelled dialog."""
        ...


class RegistrationStore(Protocol):
    """Enterprises and their contact persons."""

    async def enterprise_by_code(self, credit_code: str) -> Enterprise | None:
        """Return the enterprise with this credit code, if registered or imported."""
        ...

    async def registration_of(self, telegram_id: int) -> Registration | None:
        """Return the user's registration (contact and enterprise), if any."""
        ...

    async def save_registration(
        self,
        *,
        telegram_id: int,
        credit_code: str,
        enterprise_name: str,
        district: str,
        industry: str,
        contact_name: str,
        phone: str,
        consented_at: datetime,
        source: EnterpriseSource,
        dialog: tuple[str, int, int],
    ) -> Registration:
        """Create or update the enterprise and the contact, and drop the dialog, atomically."""
        ...

    async def erase_contact(self, telegram_id: int) -> bool:
        """Remove the user's name, phone and Telegram link; keep anonymous case records."""
        ...


# Imported here, beside the one port that uses them, rather than at the top: move it up with the
# other imports the next time the top of this file changes.
from bot.domain.outbox import BulkProgress, OutboxRow, OutboxStats  # noqa: E402


class OutboxPort(Protocol):
    """The durable outbox as its sender drains it; every time is the caller's clock."""

    async def recover(self) -> int:
        """Put sends left in flight by a crash back as pending and uncertain; return how many."""
        ...

    async def claim(self, at: datetime, limit: int, busy: set[int]) -> list[OutboxRow]:
        """Mark and return up to limit messages due at at (lanes, then age; one per chat)."""
        ...

    async def sent(self, row: OutboxRow, message_id: int | None, at: datetime) -> None:
        """Record a delivery at at, with Telegram's id of the message."""
        ...

    async def retry(
        self, row: OutboxRow, not_before: datetime, error: str, uncertain: bool
    ) -> None:
        """Put a message back until not_before; uncertain when it may have arrived."""
        ...

    async def defer_chat(self, chat_id: int, not_before: datetime) -> None:
        """Hold every pending message of a chat until not_before."""
        ...

    async def failed(self, row: OutboxRow, error: str, *, blocked: bool, at: datetime) -> None:
        """Give up on a message; when blocked, the recipient's account becomes inactive."""
        ...

    async def stats(self) -> OutboxStats:
        """Count messages by state."""
        ...

    async def bulk_progress(self, bulk_id: int) -> BulkProgress:
        """Count one bulk send's messages: sent, failed, blocked, still to go."""
        ...
