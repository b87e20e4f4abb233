"""Ports: what the services and the edge need from the outside world, as Protocols.

All of them are here, narrow and named by use: `bot/storage/` implements the store ports, the
Telegram edge implements the waker. Nothing above `storage/` names a concrete store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from bot.domain.bulk import Audience, BulkSend, BulkStatus, NewBulk
from bot.domain.cases import Album, AlbumKey, Attachment, CaseCommit, LastAck
from bot.domain.exports import Table, Window
from bot.domain.figures import Counts, Overdue, Period, Satisfaction
from bot.domain.inbox import Handling, InboxRow, InboxState, InboxStats, Incoming
from bot.domain.models import (
    Account,
    AuditEntry,
    AuditRecord,
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
from bot.domain.roster_plan import EnterpriseChange, Plan, StaffChange, StaffInvite
from bot.domain.routing import Candidate
from bot.domain.schedule import Upcoming
from bot.domain.timers import DueTimer, TimerChange


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


class RosterStore(Protocol):
    """Roster imports: compare with what is stored and write, in one transaction."""

    async def import_enterprises(
        self,
        codes: Sequence[str],
        plan: Callable[[Mapping[str, Enterprise], Sequence[Staff]], Plan[EnterpriseChange]],
        audit_entry: Callable[[Plan[EnterpriseChange]], AuditEntry],
        *,
        write: bool,
    ) -> Plan[EnterpriseChange]:
        """Plan against the stored enterprises of these codes and every staff member; when
        write, store the plan and its audit entry atomically."""
        ...

    async def import_staff(
        self,
        plan: Callable[[Sequence[Staff]], Plan[StaffChange]],
        audit_entry: Callable[[Plan[StaffChange], Sequence[StaffInvite]], AuditEntry],
        new_code: Callable[[], str],
        expires_at: datetime,
        *,
        write: bool,
    ) -> tuple[Plan[StaffChange], list[StaffInvite]]:
        """Plan against the stored staff; when write, store it, an invite for everyone imported
        who has not joined and has no valid one, and the audit entry, atomically."""
        ...


class CaseStore(Protocol):
    """Cases, their history and relay links; every change is one CaseCommit."""

    async def open_case(
        self,
        new: NewCase,
        events: Sequence[NewEvent],
        outgoing: Callable[[Case], Sequence[Outgoing]],
        cursor: tuple[str, int] | None,
        timers: Callable[[Case], Sequence[TimerChange]] | None = None,
    ) -> Case:
        """Store a new case, its first events, timers and the messages it causes, atomically."""
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


class AlbumStore(Protocol):
    """Albums being received, their items kept as they arrive (issue 16)."""

    async def get(self, key: AlbumKey) -> Album | None:
        """An album with the items received so far, in message order."""
        ...

    async def begin(self, key: AlbumKey, user_id: int, case_id: int | None, at: datetime) -> bool:
        """Record an album's first item's way; False when the album was known already."""
        ...

    async def add(self, key: AlbumKey, item: Attachment, at: datetime) -> bool:
        """Keep an item of an album being collected; False when it was relayed already."""
        ...

    async def quiet_since(self, before: datetime) -> list[AlbumKey]:
        """Albums being collected whose latest item arrived before `before`."""
        ...

    async def next_quiet(self) -> datetime | None:
        """When the album collected longest ago got its latest item."""
        ...

    async def close(self, key: AlbumKey, at: datetime) -> None:
        """Mark an album done without a relay."""
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


class TimerStore(Protocol):
    """The cases' timers (bot.domain.timers) as the due work reads and completes them."""

    async def due(self, now: datetime, limit: int) -> list[DueTimer]:
        """Pending timers due at now, earliest first."""
        ...

    async def pending_after(self, now: datetime) -> list[DueTimer]:
        """Pending timers due after now (for `schedule list`)."""
        ...

    async def next_due(self) -> datetime | None:
        """When the earliest pending timer falls due."""
        ...

    async def complete(self, done: Sequence[tuple[DueTimer, str, CaseCommit]], at: datetime) -> int:
        """Mark each timer done with its outcome and write its commit, in one transaction;
        a timer no longer pending at that time (moved, cancelled, done) is skipped with its
        commit. Return how many were completed."""
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

    async def link_also(self, row: OutboxRow, message_ids: Sequence[int]) -> None:
        """Link more messages one send made (an album's copies) to the row's case."""
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


class InboxPort(Protocol):
    """The durable inbox as its pump fills and drains it; every time is the caller's clock."""

    def handling(self, update_id: int, at: datetime) -> AbstractContextManager[Handling]:
        """While the block runs (in this task), effect writes mark the update handled."""
        ...

    async def store(self, updates: Sequence[Incoming], at: datetime) -> list[int]:
        """Store a batch in one transaction, ignoring updates stored before; return new ids."""
        ...

    async def recover(self, max_attempts: int, at: datetime) -> int:
        """Put handlings a crash interrupted back as pending (or failed); return how many."""
        ...

    async def cycle(self, done: Sequence[int], at: datetime, limit: int) -> list[InboxRow]:
        """Mark finished updates handled and claim the next ones, in one transaction."""
        ...

    async def failed(
        self, update_id: int, error: str, at: datetime, retry_at: datetime | None
    ) -> InboxState:
        """Record a failed try; return the update's state after it."""
        ...

    async def next_retry(self, after: datetime) -> datetime | None:
        """When the earliest update waiting for a retry is due."""
        ...

    async def prune(self, before: datetime) -> int:
        """Forget updates handled before a time."""
        ...

    async def stats(self) -> InboxStats:
        """Counts by state."""
        ...


class FigureSource(Protocol):
    """The programme's figures over a period (bot/storage/figures.py), and the daily report's
    periods: each report is recorded with its messages in one transaction."""

    async def breakdown(self, period: Period, by: str) -> dict[str, Counts]:
        """Cases opened, first answered, resolved, closed in the period per category|district."""
        ...

    async def response_seconds(self, period: Period) -> list[float]:
        """Opening to first answer, in seconds, of cases first answered in the period."""
        ...

    async def sla(self, period: Period, now: datetime) -> tuple[int, int]:
        """(deadlines that fell in the period and passed, those met)."""
        ...

    async def overdue(self, now: datetime, limit: int) -> tuple[list[Overdue], int]:
        """Open unanswered cases past their deadline (up to limit), and how many in all."""
        ...

    async def satisfaction(self, period: Period, limit: int) -> Satisfaction:
        """Ratings given in the period."""
        ...

    async def unanswered_questions(self, period: Period, limit: int) -> list[str]:
        """FAQ questions of the period that found no answer."""
        ...

    async def opened(self, period: Period) -> list[tuple[datetime, str]]:
        """(created_at, category) of cases opened in the period."""
        ...

    async def admin_chats(self, configured: Sequence[int]) -> list[int]:
        """Every admin's Telegram id."""
        ...

    async def last_report_end(self) -> datetime | None:
        """Where the last report's period ended (or the first run)."""
        ...

    async def mark_first_run(self, at: datetime) -> None:
        """Remember the first run, once."""
        ...

    async def record_report(
        self, due_at: datetime, period: Period, outgoing: Sequence[Outgoing], at: datetime
    ) -> bool:
        """Mark a slot's report done with its messages, atomically; False if already done."""
        ...


class AuditLog(Protocol):
    """The audit log: append-only (bot/storage/audit.py)."""

    async def record(self, entry: AuditEntry, at: datetime) -> None:
        """Append one entry on its own (actions with no other write: views, exports)."""
        ...

    async def recent(self, offset: int, limit: int) -> tuple[list[AuditRecord], int]:
        """The newest entries first, a page of them, and how many there are in all."""
        ...


class ExportSource(Protocol):
    """The exportable tables, read in batches by id (bot/storage/exports.py)."""

    async def batch(
        self, table: Table, window: Window, after: int, limit: int
    ) -> list[dict[str, Any]]:
        """Up to limit rows with id > after created in the window, by id."""


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
