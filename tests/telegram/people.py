"""Scenario steps for staff and cases: onboarding through real invites, waiting for relays."""

from __future__ import annotations

import re
from collections.abc import Callable

from fake_telegram import FakeBotAPI, FakeUser, Message
from tests.telegram.steps import BUTTONS, Answers, register


async def wait(api: FakeBotAPI, user: FakeUser, contains: str, within: float = 5.0) -> Message:
    """The next bot message to the user containing the text (the outbox sends asynchronously)."""
    found = [m for m in user.inbox if contains in m.plain]
    if found and found[-1].message_id > user.seen_message_id:
        user.seen_message_id = found[-1].message_id
        return found[-1]
    message = await api.wait_for_message(
        user.id,
        lambda m: contains in m.plain,
        timeout=within,
        after_message_id=user.seen_message_id,
    )
    user.seen_message_id = message.message_id
    return message


async def onboard(
    api: FakeBotAPI,
    admin: FakeUser,
    user_id: int,
    role: str,
    name: str,
    *,
    title: str = "民警",
    district: str | None = "田家庵区",
    specialties: tuple[str, ...] = (),
) -> FakeUser:
    """The admin invites, the new staff member opens the link and answers the questions."""
    await admin.send(f"/invite {role}")
    link = re.search(r"start=(inv-[\w-]+)", admin.last.plain if admin.last else "")
    assert link is not None, admin.last
    person = api.user(user_id, first_name=name)
    await person.send(f"/start {link.group(1)}")
    await person.send(name)
    await person.send(title)
    if role == "liaison" and district:
        await person.press(district)
    for specialty in specialties:
        await person.press(specialty)
    if role == "counsel":
        await person.press("✅ 完成")
    assert "设置完成" in (person.last.plain if person.last else ""), person.last
    return person


async def open_case(
    api: FakeBotAPI,
    owner: FakeUser,
    category: str,
    description: str,
    *,
    urgent: bool = False,
    attach: Callable[[FakeUser], object] | None = None,
) -> str:
    """/ask through to the receipt; returns the case number."""
    await owner.send("/ask")
    await owner.press(category)
    await owner.send(description)
    await owner.press("🔴 紧急" if urgent else "一般")
    await owner.press("✅ 提交求助")
    receipt = await wait(api, owner, "已收到您的求助")
    number = re.search(r"HN-\d{6}", receipt.plain)
    assert number is not None
    return number.group(0)


async def registered_owner(api: FakeBotAPI, user_id: int, code: str, name: str = "王") -> FakeUser:
    """A new owner, registered with the given credit code."""
    owner = api.user(user_id, first_name=name)
    await register(owner, Answers(code=code, enterprise=f"企业{user_id}"))
    return owner


async def join(
    api: FakeBotAPI,
    user_id: int,
    name: str,
    code: str = "91340400MA2N0000XY",
    *,
    shared: str | None = None,
) -> FakeUser:
    """Someone who knows an enterprise's (public) credit code registers with it."""
    person = api.user(user_id, first_name=name)
    await person.send("/register")
    await person.press("✅ 同意并继续")
    await person.send("春风")
    await person.send(code)
    await person.send(name)
    if shared:
        await person.share_contact(shared)
    else:
        await person.send("13900001111")
    await person.press("✅ 确认提交")
    return person


__all__ = ["BUTTONS", "join", "onboard", "open_case", "registered_owner", "wait"]
