"""Traditional Chinese as written in Taiwan: s2twp plus the phrase table (docs/languages.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.models import Language
from bot.rendering import PHRASES_FILE, Renderer, TraditionalConverter

RENDERER = Renderer()
HANS = RENDERER.templates_dir / Language.ZH_HANS.value
# Mainland vocabulary (and what OpenCC makes of it) that a reader in Taiwan or Hong Kong would
# not write: none of it may remain in a Traditional template.
MAINLAND = ("信息", "賬號", "平臺", "程式碼", "反饋", "回復", "座機", "區號", "當前", "“", "”")


def converted_sources() -> dict[str, str]:
    """Every zh-hant template as the loader serves it (hand-written, else converted)."""
    env = RENDERER.env
    assert env.loader is not None
    names = [
        n
        for n in env.list_templates(extensions=["html"])
        if n.startswith(Language.ZH_HANT.value + "/")
    ]
    return {n: env.loader.get_source(env, n)[0] for n in names}


def test_no_mainland_vocabulary_in_traditional_templates() -> None:
    sources = converted_sources()
    assert len(sources) > 100
    found = {(name, word) for name, text in sources.items() for word in MAINLAND if word in text}
    assert found == set()


def test_every_phrase_of_the_table_is_used() -> None:
    simplified = "".join(p.read_text(encoding="utf-8") for p in HANS.rglob("*.html"))
    unused = [k for k in RENDERER.traditional.phrases if k not in simplified]
    assert unused == []


@pytest.mark.parametrize(
    ("simplified", "traditional"),
    [
        ("统一社会信用代码", "統一社會信用代碼"),  # s2twp alone: 統一社會信用程式碼
        ("您的 Telegram 账号", "您的 Telegram 帳號"),
        ("个人信息说明", "個人資料說明"),
        ("以上为一般性法律信息", "以上為一般性法律資訊"),  # the longer phrase wins
        ("联系人发送消息，设置链接", "聯絡人傳送訊息，設定連結"),  # s2twp's own vocabulary
        ("请点“跳过”", "請點「跳過」"),
        ("{{ name }} & <b>x</b>", "{{ name }} & <b>x</b>"),
    ],
)
def test_conversion(simplified: str, traditional: str) -> None:
    assert RENDERER.traditional.convert(simplified) == traditional


def test_missing_table_converts_with_s2twp_alone(tmp_path: Path) -> None:
    converter = TraditionalConverter.from_file(tmp_path / PHRASES_FILE)
    assert converter.convert("个人信息") == "個人資訊"


def test_malformed_table_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / PHRASES_FILE
    path.write_text('[phrases]\n"信息" = 3\n', encoding="utf-8")
    with pytest.raises(ValueError, match=str(PHRASES_FILE)):
        TraditionalConverter.from_file(path)
