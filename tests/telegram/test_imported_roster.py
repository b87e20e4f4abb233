"""Imported rosters meet the bot: staff join with the report's links, owners find their
enterprise and its liaison (PRODUCT §3.1, §5.2), through the real Application."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from bot.__main__ import main
from fake_telegram import FakeBotAPI, FakeUser
from tests.codes import code_number
from tests.conftest import BotRunner
from tests.rosters import Cli, read_xlsx, write_csv, write_xlsx
from tests.telegram.people import join, open_case, wait
from tests.telegram.steps import last_text

CODE = code_number(21)


async def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The command line in its own thread and event loop, as a second process would be."""
    capsys.readouterr()
    status = await asyncio.to_thread(main, list(args))
    out = capsys.readouterr().out
    assert status == 0, out
    return out


async def test_imported_staff_join_with_their_link_and_owners_reach_their_liaison(
    bot: BotRunner,
    api: FakeBotAPI,
    admin: FakeUser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    Cli(tmp_path, monkeypatch, bot.settings.database_path)
    staff = write_xlsx(
        tmp_path / "staff.xlsx",
        [
            ["姓名", "职务", "角色", "所属区", "手机"],
            ["张警官", "民警", "联络民警", "田家庵区", "13900000001"],
            ["李警官", "副所长", "联络民警", "田家庵区", "13900000002"],
        ],
    )
    report = tmp_path / "links.xlsx"
    await run_cli(capsys, "import", "staff", str(staff), "--report", str(report))
    sheet = read_xlsx(report)
    assert sheet[0][-2:] == ["邀请链接", "链接有效期至"]
    links = {row[0]: row[-2] for row in sheet[1:]}
    assert set(links) == {"张警官", "李警官"}
    # Until they join, /staff says so: they get no cases yet.
    await admin.send("/staff")
    assert last_text(admin).count("未加入") == 2
    people = {}
    for user_id, name in ((2001, "张警官"), (2002, "李警官")):
        code = re.fullmatch(r"https://t\.me/fake_legal_aid_bot\?start=(inv-[\w-]+)", links[name])
        assert code is not None, links[name]
        person = api.user(user_id, first_name="x")
        await person.send(f"/start {code.group(1)}")
        # Nothing is asked: name, title and district come from the roster.
        assert person.last is not None
        assert "设置完成" in person.last.plain, person.last.plain
        assert name in person.last.plain
        people[name] = person
    await admin.send("/staff")
    assert "未加入" not in last_text(admin)
    assert last_text(admin).count("在岗") == 2
    # A link works once.
    stranger = api.user(2009, first_name="y")
    await stranger.send(f"/start {links['张警官'].split('start=')[1]}")
    assert stranger.last is not None
    assert "邀请链接无效" in stranger.last.plain
    # A later run sees both joined and makes no link.
    again = await run_cli(capsys, "import", "staff", str(staff))
    assert "invites: 0 people have not joined yet (0 new links)" in again

    enterprises = write_csv(
        tmp_path / "enterprises.csv",
        [
            ["企业名称", "统一社会信用代码", "所属区", "行业", "联络民警", "备用联络民警"],
            ["淮南市春风机械制造有限公司", CODE, "田家庵区", "制造业", "李警官", "张警官"],
        ],
        encoding="gb18030",
    )
    await run_cli(capsys, "import", "enterprises", str(enterprises))

    owner = await join(api, 1001, "王芳", CODE)
    registration = await bot.enterprises.registration_of(1001)
    assert registration is not None
    assert registration.active
    assert registration.enterprise.name == "淮南市春风机械制造有限公司"  # the roster's, kept
    liaison = await bot.db.fetchone("SELECT id FROM staff WHERE display_name = '李警官'")
    assert liaison is not None
    assert registration.enterprise.liaison_id == liaison["id"]
    # A liaison case goes to the enterprise's own liaison, not to the other one of its district.
    number = await open_case(api, owner, "治安业务", "仓库门口有人拦车，请民警处理")
    card = await wait(api, people["李警官"], f"新事项 {number}")
    assert "淮南市春风机械制造有限公司" in card.plain
    await bot.drained()
    assert not [m for m in people["张警官"].inbox if number in m.plain]


async def test_a_link_asks_only_what_the_roster_left_out_and_dies_with_deactivation(
    bot: BotRunner,
    api: FakeBotAPI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    Cli(tmp_path, monkeypatch, bot.settings.database_path)
    staff = write_csv(
        tmp_path / "staff.csv",
        [["姓名", "角色", "手机"], ["赵敏", "管理员", "13900000005"], ["钱进", "管理员", ""]],
    )
    report = tmp_path / "links.csv"
    await run_cli(capsys, "import", "staff", str(staff), "--report", str(report))
    links = dict(
        re.findall(r"^(\S+?),.*start=(inv-[\w-]+)", report.read_text("utf-8-sig"), re.MULTILINE)
    )
    assert set(links) == {"赵敏", "钱进"}
    # No title on the roster: that one question is asked, then the person is set up.
    zhao = api.user(2101, first_name="z")
    await zhao.send(f"/start {links['赵敏']}")
    assert zhao.last is not None
    assert "职务" in zhao.last.plain
    await zhao.send("科员")
    assert zhao.last is not None
    assert "设置完成" in zhao.last.plain
    row = await bot.db.fetchone("SELECT telegram_id, title FROM staff WHERE display_name = '赵敏'")
    assert row is not None
    assert tuple(row) == (2101, "科员")
    # Deactivated before joining: the link no longer works.
    await bot.db.write("UPDATE staff SET active = 0 WHERE display_name = '钱进'")
    qian = api.user(2102, first_name="q")
    await qian.send(f"/start {links['钱进']}")
    assert qian.last is not None
    assert "邀请链接无效" in qian.last.plain
    assert (await bot.db.fetchone("SELECT role FROM accounts WHERE telegram_id = 2102"))[
        0
    ] == "owner"
