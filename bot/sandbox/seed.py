"""Seed the sandbox's programme through the bot itself, as its people would in Telegram.

The admin configured by id invites each staff member (`/invite`), who opens the link and
answers the onboarding questions; each seeded owner registers their enterprise through
`/register`; the admin gives each enterprise its liaison (`/assign`). Every step is a real
update through the emulator, answered by the running bot: nothing is written to the database
behind its back.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence

from bot.domain.models import Choice, Language
from bot.rendering import Renderer
from bot.sandbox.cast import CONFIGURED_ADMIN, ENTERPRISES, STAFF, Enterprise, StaffMember
from bot.settings import Settings
from fake_telegram import FakeBotAPI, FakeUser, Message

STEP_SECONDS = 30.0
_LANG = Language.ZH_HANS  # the seeded people's client language


class SeedError(RuntimeError):
    """The bot did not answer a seeding step as expected; str() says which step."""


class Seeder:
    """Plays the seeded people against the running bot, one answered step at a time."""

    def __init__(
        self,
        api: FakeBotAPI,
        settings: Settings,
        progress: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.api = api
        self.settings = settings
        self.progress = progress
        choices = {"district": settings.districts, "industry": settings.industries}
        self.labels = Renderer(choices=choices)
        self.staff_ids: dict[int, int] = {}  # user id -> staff number

    async def run(self) -> None:
        """Onboard the staff, register the enterprises, assign their liaison."""
        admin = self.api.users[CONFIGURED_ADMIN.id]
        for member in STAFF:
            self.progress(f"inviting {member.person.name}")
            await self.onboard(admin, member)
        for enterprise in ENTERPRISES:
            self.progress(f"registering {enterprise.name}")
            await self.register(enterprise)
            if enterprise.liaison is not None:
                await self.assign(admin, enterprise, enterprise.liaison)

    # == the flows ===============================================================================
    async def onboard(self, admin: FakeUser, member: StaffMember) -> None:
        """/invite; the invitee opens the link and answers name, title, district or specialties."""
        invite = await self.say(admin, f"/invite {member.invite_role}")
        link = re.search(r"start=(inv-[\w-]+)", invite.plain)
        if link is None:
            raise SeedError(f"/invite {member.invite_role} gave no link: {invite.plain[:200]}")
        person = self.api.users[member.person.id]
        await self.say(person, f"/start {link.group(1)}")
        await self.say(person, member.person.name)
        await self.say(person, member.title)
        if member.district is not None:
            await self.press(person, self.district(member.district))
        for specialty in member.specialties:
            await self.press(person, self.label("specialty", specialty))
        if member.specialties:
            await self.press(person, self.label("done"))
        # Listed by /staff only once the onboarding dialog has ended with a staff record.
        listed = await self.say(admin, f"/staff {member.person.name}")
        number = re.search(rf"#(\d+) {re.escape(member.person.name)}", listed.plain)
        if number is None:
            raise SeedError(f"/staff does not list {member.person.name}: {listed.plain[:200]}")
        self.staff_ids[member.person.id] = int(number.group(1))

    async def register(self, enterprise: Enterprise) -> None:
        """/register through to the confirmation, as the enterprise's owner."""
        owner = self.api.users[enterprise.owner.id]
        await self.say(owner, "/register")
        await self.press(owner, self.label("agree"))
        await self.say(owner, enterprise.name)
        await self.say(owner, enterprise.code)
        await self.press(owner, self.district(enterprise.district))
        await self.press(owner, self.choice(self.settings.industries, enterprise.industry))
        await self.say(owner, enterprise.contact)
        # The phone is acknowledged in a message of its own, then the summary comes.
        await self.say(owner, enterprise.phone, until=enterprise.code)
        await self.press(owner, self.label("confirm"))

    async def assign(self, admin: FakeUser, enterprise: Enterprise, liaison: StaffMember) -> None:
        """/assign <credit code> <staff number>."""
        number = self.staff_ids[liaison.person.id]
        answer = await self.say(admin, f"/assign {enterprise.code} {number}")
        self.expect(answer, liaison.person.name, f"assigning {enterprise.name}")

    # == steps ==================================================================================
    async def say(self, user: FakeUser, text: str, until: str = "") -> Message:
        """Send a text; return the bot's next message in that chat (containing ``until``)."""
        return await self._answered(user, lambda: user.send(text), text, until)

    async def press(self, user: FakeUser, label: str) -> Message:
        """Press the latest inline button with this label; return the bot's next message."""
        return await self._answered(user, lambda: user.press(label), f"[{label}]")

    async def _answered(
        self, user: FakeUser, act: Callable[[], Awaitable[object]], what: str, until: str = ""
    ) -> Message:
        history = self.api.history(user.id)
        before = history[-1].message_id if history else 0
        await act()
        try:
            return await self.api.wait_for_message(
                user.id,
                lambda m: until in m.plain,
                timeout=STEP_SECONDS,
                after_message_id=before,
            )
        except TimeoutError:
            raise SeedError(f"the bot did not answer {user.first_name}'s {what!r}") from None

    @staticmethod
    def expect(message: Message, text: str, step: str) -> None:
        if text not in message.plain:
            raise SeedError(f"{step}: the bot answered {message.plain[:200]!r}")

    # == labels as the seeded people read them ================================================
    def label(self, name: str, *args: str) -> str:
        return self.labels.label(_LANG, name, *args)

    def district(self, ident: str) -> str:
        return self.choice(self.settings.districts, ident)

    @staticmethod
    def choice(choices: Sequence[Choice], ident: str) -> str:
        for choice in choices:
            if choice.id == ident:
                return choice.label(_LANG)
        raise SeedError(f"no choice {ident!r} in the configuration")
