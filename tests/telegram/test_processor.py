"""PerChatUpdateProcessor: one chat in order, other chats not held up by it (PRODUCT §10)."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.telegram.processor import PerChatUpdateProcessor


def update(update_id: int, chat_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "x"},
                "text": "hi",
            },
        },
        None,
    )


async def test_a_slow_chat_keeps_its_order_and_does_not_hold_up_another() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=2)
    done: list[tuple[int, int]] = []
    release = asyncio.Event()

    async def handle(chat: int, n: int) -> None:
        if chat == 1:
            await release.wait()  # the flooding chat's handler is slow
        done.append((chat, n))

    flood = [
        asyncio.create_task(processor.process_update(update(n, 1), handle(1, n))) for n in range(10)
    ]
    await asyncio.sleep(0)
    other = asyncio.create_task(processor.process_update(update(100, 2), handle(2, 0)))
    async with asyncio.timeout(2):
        await other  # chat 2 is handled while chat 1's first update still waits
    assert done == [(2, 0)]
    release.set()
    async with asyncio.timeout(2):
        await asyncio.gather(*flood)
    assert done[1:] == [(1, n) for n in range(10)]
