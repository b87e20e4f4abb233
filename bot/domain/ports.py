"""Ports: what the services and the edge need from the outside world, as Protocols.

All of them are here, narrow and named by use: `bot/storage/` implements the store ports, the
Telegram edge implements the waker. Nothing above `storage/` names a concrete store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from bot.domain.bulk import Audience, BulkSend, BulkStatus, NewBulk
from bot.domain.cases import CaseCommit, LastAck
from bot.domain.models import (
    Account,
    AuditEntry,
    Case,
    CaseEvent,
    Contact,
    ContactStatus,
    DialogState,
    Enterprise,
    EnterpriseSource,
    Invite,
    Language,
    NewCase,
    NewEvent,
    Registration,
    Role,
    Staff,
)
from bot.domain.outbox import BulkProgress, OutboxRow, OutboxStats, Outgoing
from bot.domain.routing import Candidate
from bot.domain.schedule import Upcoming


class Clock(Protocol):
    """The current time, injected so tests can move it."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware (UTC)."""
        ...


class Recurrence(Protocol):
    """A repeating time (a recurring notice's cron expression)."""

    def next_after(self, moment: datetime) -> datetime | None:
        """The first occurrence strictly after moment, if any."""
        ...


class Waker(Protocol):
    """The outbox sender, told that something was enqueued."""

    def wake(self) -> None:
        """Look at the outbox now."""
        ...


class AccountStore(Protocol):
    """Telegram accounts the bot has met, their roles and preferences."""

    async def account(self, telegram_id: int) -> Account | None:
        """The stored account, if any."""
        ...

    async def record_seen(self, telegram_id: int, client_language: Language | None) -> None:
        """The user wrote: create or reactivate the account, remember the client language."""
        ...

    async def set_language(self, telegram_id: int, language: Language) -> None:
        """Remember the user's chosen language."""
        ...


class Reachability(Protocol):
    """Whether a user can be written to."""

    async def active_chat(self, telegram_id: int) -> bool:
        """False once the user blocked the bot, until they write again."""
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


class ConversationStore(Protocol):
    """What PTB's conversation persistence reads and mirrors."""

    async def dialog_states(self, name: str) -> dict[tuple[int, int], str]:
        """{(chat_id, user_id): state} of every open dialog of that name."""
        ...

    async def set_dialog_state(self, name: str, chat_id: int, user_id: int, state: str) -> None:
        """Set only the state of a dialog, keeping its answers."""
        ...

    async def delete_dialog(self, name: str, chat_id: int, user_id: int) -> None:
        """Forget a finished dialog."""
        ...


class RegistrationStore(Protocol):
    """Enterprises and their contact persons, as registration writes them."""

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
        status: ContactStatus = ContactStatus.ACTIVE,
        request: Callable[[int], Sequence[Outgoing]] | None = None,
    ) -> Registration:
        """Create or update the enterprise and the contact, and drop the dialog, atomically;
        a PENDING status is a join request whose messages `request(contact id)` gives."""
        ...

    async def erase_contact(self, telegram_id: int) -> bool:
        """Remove the user's name, phone and Telegram link; keep anonymous case records."""
        ...


class EnterpriseDirectory(Protocol):
    """Enterprises and contacts, as cases read them."""

    async def enterprise(self, enterprise_id: int) -> Enterprise | None:
        """An enterprise by id."""
        ...

    async def contacts_of(self, enterprise_id: int) -> list[Contact]:
        """The enterprise's contact persons (not erased)."""
        ...


class ContactStore(EnterpriseDirectory, Protocol):
    """Contact persons and their approval."""

    async def contact(self, contact_id: int) -> Registration | None:
        """A contact record (any status) with its enterprise."""
        ...

    async def everyone_of(self, enterprise_id: int) -> list[Contact]:
        """Every contact record of the enterprise that is not erased, whatever its status."""
        ...

    async def enterprise_by_code(self, credit_code: str) -> Enterprise | None:
        """An enterprise by credit code."""
        ...

    async def decide_contact(
        self,
        contact_id: int,
        status: ContactStatus,
        *,
        by: int,
        at: datetime,
        audit_entry: AuditEntry,
        outgoing: Sequence[Outgoing],
    ) -> bool:
        """Approve, refuse or remove, audited, with its messages; False if it changed meanwhile."""
        ...


class StaffDirectory(Protocol):
    """Staff as routing and relaying read them."""

    async def loads(self) -> list[Candidate]:
        """Every staff member with their number of open cases, by id."""
        ...

    async def cursors(self) -> dict[str, int]:
        """Round-robin cursors of every routing pool."""
        ...

    async def by_id(self, staff_id: int) -> Staff | None:
        """A staff member by id."""
        ...

    async def by_telegram(self, telegram_id: int) -> Staff | None:
        """The staff record bound to a Telegram account, active or not."""
        ...


class StaffStore(StaffDirectory, Protocol):
    """Staff administration: invites, onboarding, availability, assignments."""

    async def create_invite(
        self, code: str, role: Role, created_by: int, expires_at: datetime
    ) -> None:
        """Store a new invite code (audited)."""
        ...

    async def invite(self, code: str) -> Invite | None:
        """An invite by code."""
        ...

    async def redeem_invite(
        self,
        code: str,
        telegram_id: int,
        at: datetime,
        *,
        display_name: str,
        title: str,
        district: str | None,
        specialties: tuple[str, ...],
    ) -> Staff | None:
        """Bind the account to a new staff record; None if the invite is used or expired."""
        ...

    async def set_available(self, staff_id: int, available: bool) -> None:
        """/away and /back."""
        ...

    async def assign(
        self, credit_code: str, liaison_id: int, deputy_id: int | None, actor: int
    ) -> bool:
        """Set an enterprise's liaison and deputy (audited); False if no such enterprise."""
        ...


class CaseStore(Protocol):
    """Cases, their history and relay links; every change is one CaseCommit."""

    async def open_case(
        self,
        new: NewCase,
        events: Sequence[NewEvent],
        outgoing: Callable[[Case], Sequence[Outgoing]],
        cursor: tuple[str, int] | None,
    ) -> Case:
        """Store a new case, its first events and the messages it causes, atomically."""
        ...

    async def commit(self, commit: CaseCommit) -> None:
        """Apply changes, history, messages, cursors, a deactivation and audit atomically."""
        ...

    async def by_id(self, case_id: int) -> Case | None:
        """A case by id."""
        ...

    async def by_number(self, number: str) -> Case | None:
        """A case by number, case-insensitive."""
        ...

    async def of_enterprise(self, enterprise_id: int, open_only: bool = False) -> list[Case]:
        """An enterprise's cases, newest first."""
        ...

    async def open_cases(
        self, assignee_id: int | None = None, *, everyone: bool = False
    ) -> list[Case]:
        """Open cases of one assignee, unassigned ones, or all."""
        ...

    async def unclosed_of(self, assignee_id: int) -> list[Case]:
        """Every case of an assignee that is not closed."""
        ...

    async def handled_by(self, case_id: int, staff_id: int) -> bool:
        """Whether the staff member is or was assigned the case."""
        ...

    async def history(self, case_id: int) -> list[CaseEvent]:
        """A case's history, oldest first."""
        ...

    async def case_of_message(self, chat_id: int, message_id: int) -> int | None:
        """The case a message the bot showed in a chat belongs to."""
        ...

    async def last_ack(
        self, case_id: int, actor_kind: str, actor_id: int | None, chat_id: int, template: str
    ) -> LastAck | None:
        """The confirmation this actor last got for messages to this case (in chat_id)."""
        ...


class DueWork(Protocol):
    """Timed work (reminders, auto-close, notices): what is due is read from rows at `now`.

    A job only wakes it; tests call it with a moved clock. It must be idempotent: what it does
    is marked done in the same transaction, so a second call at the same time does nothing.
    """

    async def run_due(self, now: datetime) -> int:
        """Do what is due at `now`; return how many items were done."""
        ...

    async def upcoming(self, now: datetime) -> Sequence[Upcoming]:
        """Every item that falls due after `now` (for `schedule list`), in no particular order."""
        ...

    async def next_due(self, now: datetime) -> datetime | None:
        """When the earliest item falls due (may be <= now when overdue); None when none."""
        ...


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


class BulkPort(Protocol):
    """Bulk sends (broadcasts, notices) and the outbox rows they write; times are the caller's."""

    async def count(self, audience: Audience, urgent: bool) -> int:
        """How many owners the audience reaches now."""
        ...

    async def create(
        self,
        new: NewBulk,
        at: datetime,
        *,
        status: BulkStatus,
        progress: Callable[[int], Outgoing] | None = None,
        audit_entry: AuditEntry | None = None,
        dialog: tuple[str, int, int] | None = None,
        last_at: datetime | None = None,
    ) -> int | None:
        """Store a bulk send with its progress message, audit line and finished dialog, at once;
        None when that notice occurrence is stored already (last_at is recorded either way)."""
        ...

    async def start_due(
        self, at: datetime, progress: dict[int, Outgoing], entries: dict[int, AuditEntry]
    ) -> list[int]:
        """Move scheduled sends due at `at` to writing, with their progress messages."""
        ...

    async def bulk(self, bulk_id: int) -> BulkSend | None:
        """One bulk send."""
        ...

    async def with_status(self, statuses: Sequence[BulkStatus]) -> list[BulkSend]:
        """Bulk sends in these states, soonest first."""
        ...

    async def write_batch(self, bulk_id: int, at: datetime, size: int) -> int | None:
        """Write the next batch of recipients and move the cursor atomically; None if not
        being written."""
        ...

    async def progressed(
        self, bulk_id: int, at: datetime, outgoing: Sequence[Outgoing], *, done: bool
    ) -> bool:
        """Record a progress edit (finishing when done); False if the send had ended."""
        ...

    async def cancel(
        self, bulk_id: int, at: datetime, outgoing: Sequence[Outgoing], audit_entry: AuditEntry
    ) -> int | None:
        """Stop a send and drop its unsent rows; None if it had ended."""
        ...

    async def bulk_progress(self, bulk_id: int) -> BulkProgress:
        """Count one bulk send's messages."""
        ...

    async def set_muted(self, telegram_id: int, muted: bool, at: datetime) -> None:
        """Mute or unmute non-urgent notices for an owner."""
        ...

    async def muted(self, telegram_id: int) -> bool:
        """Whether the owner muted non-urgent notices."""
        ...

    async def notice_state(self) -> dict[str, datetime]:
        """The last handled occurrence of each recurring notice."""
        ...

    async def first_seen(self, notice_ids: Sequence[str], at: datetime) -> None:
        """Record notices never handled as handled up to `at`."""
        ...
