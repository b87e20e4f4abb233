"""Oversight (issue 13): /stats figures and charts against a seeded database, the audit log,
and admins only — through the real Application and the fake Bot API."""

from __future__ import annotations

import io
import statistics
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from matplotlib import ft2font
from PIL import Image

from bot import charts
from bot.domain.figures import (
    Counts,
    DailySeries,
    Figures,
    LowRating,
    Overdue,
    Period,
    PeriodKind,
    QuestionGroup,
    Responses,
    Satisfaction,
)
from bot.domain.models import Language
from bot.rendering import Renderer
from bot.telegram import oversight
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.context import Services
from fake_telegram import FakeBotAPI, FakeUser, Message, parse_html
from tests.conftest import TOKEN, BotRunner
from tests.oversight_seed import QUESTIONS, SEED, SeedCase, Seeded, seed
from tests.telegram.people import onboard, registered_owner, wait
from tests.telegram.steps import last_text

ZONE = ZoneInfo("Asia/Shanghai")
NOT_AVAILABLE = "这个功能对您的账号不可用"
LABELS = {"labour": "劳动用工", "public-order": "治安业务", "contracts": "合同履行与不可抗力"}


def services(bot: BotRunner) -> Services:
    found: Services = bot.app.bot_data["services"]
    return found


def local_period(kind: PeriodKind, now: datetime) -> Period:
    """Written out here, not taken from the bot: local midnight N-1 days ago up to now."""
    days = {"today": 1, "7d": 7, "30d": 30}[kind.value]
    first = now.astimezone(ZONE).date() - timedelta(days=days - 1)
    return Period(datetime.combine(first, time(0), tzinfo=ZONE).astimezone(UTC), now)


class Expected:
    """The figures of a period, computed from SEED with plain Python."""

    def __init__(self, period: Period, now: datetime) -> None:
        self.period, self.now = period, now

    def at(self, hours: float | None) -> datetime | None:
        return None if hours is None else self.now + timedelta(hours=hours)

    def inside(self, hours: float | None) -> bool:
        moment = self.at(hours)
        return moment is not None and self.period.start <= moment < self.period.end

    def counts(self, cases: tuple[SeedCase, ...] = SEED) -> tuple[int, int, int, int]:
        return (
            sum(self.inside(c.created) for c in cases),
            sum(self.inside(c.first_response) for c in cases),
            sum(self.inside(c.resolved) for c in cases),
            sum(self.inside(c.closed) for c in cases),
        )

    def by(self, key: str) -> dict[str, tuple[int, int, int, int]]:
        groups: dict[str, list[SeedCase]] = {}
        for c in SEED:
            name = c.category if key == "category" else ("tianjiaan", "datong")[c.enterprise]
            groups.setdefault(name, []).append(c)
        result = {k: self.counts(tuple(v)) for k, v in groups.items()}
        return {k: v for k, v in result.items() if any(v)}

    def seconds(self) -> list[float]:
        return [
            (c.first_response - c.created) * 3600
            for c in SEED
            if c.first_response is not None and self.inside(c.first_response)
        ]

    def sla(self) -> tuple[int, int]:
        due = [
            c
            for c in SEED
            if self.inside(c.created + c.sla) and c.created + c.sla <= 0  # passed by now
        ]
        met = [
            c for c in due if c.first_response is not None and c.first_response <= c.created + c.sla
        ]
        return len(due), len(met)

    def overdue(self, seeded: Seeded) -> list[tuple[str, str | None]]:
        late = [
            (c.created + c.sla, n, c)
            for n, c in zip(seeded.numbers, SEED, strict=True)
            if c.status in ("open", "accepted")
            and c.first_response is None
            and c.created + c.sla < 0
        ]
        return [
            (n, seeded.staff[c.assignee][1] if c.assignee else None) for _, n, c in sorted(late)
        ]

    def ratings(self) -> list[SeedCase]:
        return [c for c in SEED if c.rating is not None and self.inside(c.closed)]

    def questions(self) -> list[str]:
        return [
            text
            for hours, text, best, helpful in QUESTIONS
            if self.inside(hours) and (best is None or helpful == 0)
        ]


def check(figures: Figures, expected: Expected, seeded: Seeded) -> None:
    c = figures.counts
    assert (c.opened, c.first_answered, c.resolved, c.closed) == expected.counts()
    for key, got in (("category", figures.by_category), ("district", figures.by_district)):
        flat = {k: (v.opened, v.first_answered, v.resolved, v.closed) for k, v in got.items()}
        assert flat == expected.by(key)
    seconds = expected.seconds()
    r = figures.responses
    assert r.count == len(seconds)
    if seconds:
        assert r.median_seconds == pytest.approx(statistics.median(seconds))
        p90 = (
            statistics.quantiles(seconds, n=10, method="inclusive")[8]
            if len(seconds) > 1
            else seconds[0]
        )
        assert r.p90_seconds == pytest.approx(p90)
    else:
        assert r.median_seconds is None
    assert (r.sla_due, r.sla_met) == expected.sla()
    assert [(o.number, o.assignee) for o in figures.overdue] == expected.overdue(seeded)
    assert figures.overdue_total == len(expected.overdue(seeded))
    rated = expected.ratings()
    s = figures.satisfaction
    assert s.count == len(rated)
    if rated:
        assert s.mean == pytest.approx(statistics.mean(c.rating or 0 for c in rated))
    low = sorted((c for c in rated if (c.rating or 0) <= 2), key=lambda c: -(c.closed or 0))
    assert [(x.stars, x.comment) for x in s.low] == [(c.rating, c.comment) for c in low]
    questions = expected.questions()
    assert figures.unanswered_total == len(questions)
    assert sum(g.count for g in figures.unanswered) == len(questions)


async def test_every_figure_of_every_period_matches_the_seed(bot: BotRunner) -> None:
    seeded = await seed(bot.db, bot.clock)
    for kind in PeriodKind:
        period = local_period(kind, seeded.now)
        assert services(bot).figures.period(kind) == period
        figures = await services(bot).figures.figures(period)
        check(figures, Expected(period, seeded.now), seeded)
    # The seed is built so that each figure is non-trivial somewhere.
    month = await services(bot).figures.figures(local_period(PeriodKind.MONTH, seeded.now))
    assert month.responses.count >= 5
    assert month.satisfaction.low_total == 3
    assert month.unanswered[0].count == 3  # one question asked three ways
    assert "停工期间" in month.unanswered[0].text


def stats_message(admin: FakeUser) -> Message:
    return next(m for m in reversed(admin.inbox) if "📊" in m.plain)


async def test_stats_in_the_chat_shows_the_figures_switches_period_and_sends_charts(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser
) -> None:
    seeded = await seed(bot.db, bot.clock)
    before = len(admin.inbox)
    await admin.send("/stats")
    text = stats_message(admin).plain
    today = Expected(local_period(PeriodKind.TODAY, seeded.now), seeded.now)
    opened, answered, resolved, closed = today.counts()
    assert f"新增 {opened} · 首次答复 {answered} · 解决 {resolved} · 结束 {closed}" in text
    for category, (o, a, r, c) in today.by("category").items():
        assert f"· {LABELS[category]}：{o}/{a}/{r}/{c}\n" in text + "\n"
    assert "田家庵区：" in text
    for number, assignee in today.overdue(seeded):
        line = next(line for line in text.splitlines() if line.startswith(f"· {number}"))
        assert line.endswith(assignee or "未分配")
    assert f"现在逾期未答复：{len(today.overdue(seeded))} 件" in text
    photos = [m for m in admin.inbox[before:] if m.kind == "photo"]
    assert len(photos) == 2
    for photo in photos:
        image = Image.open(io.BytesIO(api.file_bytes(photo.media[-1]["file_id"])))
        image.verify()
        assert image.format == "PNG"
        assert (image.width, image.height) == (800, 450)
    await admin.press("7 天", stats_message(admin))
    week = Expected(local_period(PeriodKind.WEEK, seeded.now), seeded.now)
    text = stats_message(admin).plain
    assert "最近 7 天" in text
    opened, answered, resolved, closed = week.counts()
    assert f"新增 {opened} · 首次答复 {answered} · 解决 {resolved} · 结束 {closed}" in text
    assert "答复太慢 <b>不满意</b>" in text  # the owner's comment, escaped, shown as written
    stars = [c.rating or 0 for c in week.ratings()]
    mean = Decimal(sum(stars)) / len(stars)
    shown = mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert f"{len(stars)} 个评价，平均 {shown} 星" in text
    due, met = week.sla()
    assert f"到期 {due} 件，按时 {met} 件" in text
    minutes = round(statistics.median(week.seconds()) / 60)
    hours, rest = divmod(minutes, 60)
    said = {(True, True): f"{hours} 小时 {rest} 分", (True, False): f"{hours} 小时"}
    assert f"中位数 {said.get((hours > 0, rest > 0), f'{rest} 分钟')}" in text
    await admin.press("30 天", stats_message(admin))
    assert "停工期间工资怎么发？（3 次）" in stats_message(admin).plain


def test_chart_labels_are_drawn_in_a_font_with_chinese_glyphs() -> None:
    path = charts.cjk_font()
    assert path is not None, "no CJK font installed (.ci/run installs fonts-wqy-microhei)"
    font = ft2font.FT2Font(path)
    renderer = Renderer()
    words = [
        renderer.label(Language.ZH_HANS, f"chart_{name}_{part}")
        for name in ("daily", "response")
        for part in ("title", "x", "y")
    ]
    words += list(LABELS.values())
    for char in "".join(words):
        if not char.isspace():
            assert font.get_char_index(ord(char)) != 0, char
    series = DailySeries((date(2026, 3, 1),), {"labour": (3,)})
    image = Image.open(
        io.BytesIO(charts.cases_per_day(series, charts.ChartText(*words[:3], "暂无", LABELS)))
    )
    assert image.format == "PNG"
    assert image.size == (800, 450)


async def test_an_owner_a_liaison_and_a_counsel_get_not_available_for_every_command_and_button(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    counsel = await onboard(
        api, admin, 7002, "counsel", "李律师", title="律师", specialties=("劳动用工",)
    )
    owner = await registered_owner(api, 1001, "91340400MA2N0000XY")
    await admin.send("/stats")
    stats = stats_message(admin)
    for _ in range(20):  # more than a page of audit entries
        await admin.send("/invite liaison")
    await admin.send("/audit")
    audit = admin.last
    assert audit is not None
    assert audit.button_labels == ["下一页 ▶️"]
    codec = CallbackCodec(TOKEN)
    before = await bot.db.fetchall("SELECT id FROM audit_log")
    for person in (owner, liaison, counsel):
        for command in ("/stats", "/export cases", "/export audit csv", "/audit"):
            await person.send(command)
            assert NOT_AVAILABLE in last_text(person), (person.id, command)
        for message, own in (
            (stats, codec.encode(person.id, "stats", "p", "7d")),
            (audit, codec.encode(person.id, "audit", "pg", "1")),
        ):
            theirs = next(b["callback_data"] for b in message.buttons)
            for data in (theirs, own):
                await person.press_data(message, data)
                answer = api.callback_answers[-1]
                assert answer.show_alert
                assert NOT_AVAILABLE in (answer.text or "")
    assert stats_message(admin).edits == []  # never edited by them
    assert "📊 统计 · 今天" in stats_message(admin).plain
    after = await bot.db.fetchall("SELECT id FROM audit_log")
    assert len(after) == len(before)  # nothing they did was a view of the figures


async def test_a_deactivated_admin_loses_stats_export_audit_and_their_buttons(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser
) -> None:
    second = await onboard(api, admin, 7003, "admin", "周主任", title="主任", district=None)
    await second.send("/stats")
    stats = stats_message(second)
    await second.press("7 天", stats)
    assert "最近 7 天" in stats_message(second).plain  # an invited admin may, while active
    await admin.send("/staff 周主任")
    await admin.press("停用 周主任")
    for command in ("/stats", "/export staff", "/audit"):
        await second.send(command)
        assert NOT_AVAILABLE in last_text(second), command
    await second.press("30 天", stats)
    assert NOT_AVAILABLE in (api.callback_answers[-1].text or "")
    assert "最近 7 天" in stats_message(second).plain


async def test_audit_records_stats_history_and_exports_and_admins_page_through_it(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser
) -> None:
    seeded = await seed(bot.db, bot.clock)
    counsel = api.user(7102, first_name="李律师")  # the seeded counsel's account
    await admin.send("/stats")
    await admin.press("30 天", stats_message(admin))
    await counsel.send("/cases")
    number = seeded.numbers[1]  # an open case of the counsel
    listing = counsel.last
    assert listing is not None
    label = next(x for x in listing.button_labels if x.startswith(number))
    await counsel.press(label, listing)
    await wait(api, counsel, "负责人：李律师")
    await admin.send("/export cases csv")
    document = admin.last
    assert document is not None
    assert document.kind == "document"
    sheet = api.file_bytes(document.media["file_id"]).decode("utf-8-sig").splitlines()
    assert sheet[0].startswith("事项编号,类别,")
    assert len(sheet) == 1 + len(SEED)
    assert "共 12 行" in document.plain
    rows = await bot.db.fetchall(
        "SELECT actor, action, subject, details FROM audit_log ORDER BY id"
    )
    got = [(r["actor"], r["action"], r["subject"]) for r in rows]
    assert (9000, "view_stats", "stats:today") in got
    assert (9000, "view_stats", "stats:30d") in got
    assert (7102, "view_history", f"case:{number}") in got
    assert got[-1] == (9000, "export", "export:cases")
    assert '"rows": 12' in rows[-1]["details"]
    for _ in range(5):
        await admin.send("/invite counsel")
    rows = await bot.db.fetchall("SELECT id FROM audit_log")
    await admin.send("/audit")
    text = last_text(admin)
    assert "导出 · export:cases" in text
    assert "查看事项记录" in text
    total = len(rows)
    assert f"共 {total} 条" in text
    page = admin.last
    assert page is not None
    await admin.press("下一页 ▶️", page)
    assert "第 2/" in page.plain  # the same message, edited to the older entries
    assert "邀请 · liaison" in page.plain  # the seed's oldest line
    assert page.button_labels == ["◀️ 上一页"]
    # Append-only: the database refuses to change or remove a line.
    with pytest.raises(Exception, match="append-only"):
        await bot.db.write("UPDATE audit_log SET actor = 1")
    with pytest.raises(Exception, match="append-only"):
        await bot.db.write("DELETE FROM audit_log")


def test_the_longest_figures_still_fit_in_one_telegram_message(bot: BotRunner) -> None:
    """Every category and district, ten of each list, the longest texts users can write."""
    settings = bot.settings
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    full = Counts(99999, 99999, 99999, 99999)
    figures = Figures(
        period=Period(now - timedelta(days=30), now),
        now=now,
        counts=full,
        by_category={c.id: full for c in settings.categories},
        by_district={d.id: full for d in settings.districts},
        responses=Responses(99999, 360000.0, 720000.0, 99999, 99999),
        overdue=tuple(Overdue(f"HN-{n:06d}", "litigation", now, "某" * 64) for n in range(10)),
        overdue_total=99999,
        satisfaction=Satisfaction(
            99999, 2.5, tuple(LowRating(f"HN-{n:06d}", 1, "<慢>" * 1000) for n in range(10)), 99999
        ),
        unanswered=tuple(QuestionGroup("问" * 3000, 99999) for _ in range(10)),
        unanswered_total=99999,
        failed_updates=99999,
    )
    renderer = services(bot).renderer
    for lang in Language:
        for name in ("oversight/stats", "oversight/daily_report"):
            text = renderer.render(name, lang, period="30d", figures=figures.context())
            assert len(parse_html(text).plain) <= 4096, (name, lang)


async def test_export_in_the_chat_explains_its_usage_and_a_file_too_big_to_send(
    bot: BotRunner, admin: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    for wrong in ("/export", "/export everything", "/export cases pdf", "/export cases csv x"):
        await admin.send(wrong)
        assert "用法：/export 内容 [格式]" in last_text(admin), wrong
    await seed(bot.db, bot.clock)
    # Telegram's 50 MB, brought down to a size the seed reaches (a setting of the edge, not
    # a stand-in for its code): the file is not sent and the admin is told what to do.
    monkeypatch.setattr(oversight, "MAX_DOCUMENT_BYTES", 1000)
    await admin.send("/export cases csv")
    assert "超过 Telegram 允许机器人发送的 50 MB" in last_text(admin)
    assert "legal-aid-bot export cases" in last_text(admin)
    assert admin.last is not None
    assert admin.last.kind == "text"
    exports = await bot.db.fetchall("SELECT id FROM audit_log WHERE action = 'export'")
    assert exports == []  # nothing was disclosed
