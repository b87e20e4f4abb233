"""FAQ knowledge base records and the search over them (PRODUCT §3.4, §7).

Chinese is written without spaces, so the analyzer needs no dictionary: it indexes characters and
character bigrams after folding Traditional to Simplified. English is split into words with light
stemming. Ranking is BM25F over the fields an entry is asked by (question, phrasings, keywords)
weighted above its answer, and the score is divided by the best score the query could reach, so
one threshold works for a three-character query and a paragraph alike.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.domain.chinese import to_simplified

ZH_HANS = "zh-hans"
ZH_HANT = "zh-hant"
EN = "en"
LANGUAGES = (ZH_HANS, ZH_HANT, EN)


@dataclass(frozen=True, slots=True)
class FaqLink:
    """A link shown under an answer: a hotline to call or a web page, labelled per language."""

    label: dict[str, str]
    phone: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class FaqTopic:
    """A topic group of entries, for browsing by buttons."""

    id: str
    name: dict[str, str]


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question and its answer, in every language, valid for a span of dates."""

    id: str
    topic: str
    question: dict[str, str]
    answer: dict[str, str]
    phrasings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    references: tuple[dict[str, str], ...] = ()
    links: tuple[FaqLink, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None

    def is_valid(self, on: date) -> bool:
        """Tell whether the entry may be shown on the given day (both bounds inclusive)."""
        if self.valid_from is not None and on < self.valid_from:
            return False
        return self.valid_until is None or on <= self.valid_until


@dataclass(frozen=True, slots=True)
class Hit:
    """A search result: the entry id and its score in [0, 1)."""

    id: str
    score: float


# --------------------------------------------------------------------------- analysis

# Chinese words that carry no topic. Removed before n-grams are formed, so they neither match nor
# glue neighbouring words into spurious bigrams. Single characters only where they are almost never
# part of a content word (还 is not here: 还款; 和 is not here: 和解).
_ZH_STOP_WORDS = (
    "请问",
    "是否",
    "是不是",
    "能否",
    "可否",
    "能不能",
    "可不可以",
    "可以",
    "怎么办",
    "怎么样",
    "怎么",
    "怎样",
    "如何",
    "什么",
    "哪些",
    "我们",
    "你们",
    "他们",
    "咱们",
    "自己",
    "这个",
    "那个",
    "一下",
    "有没有",
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "呀",
    "嘛",
    "么",
    "我",
    "你",
    "您",
    "他",
    "她",
    "它",
    "是",
)

_EN_STOP_WORDS = frozenset(
    """a an the and or but if then of to in on at by for with from as into about over under
    is are was were be been being am do does did doing have has had having
    i me my we us our ours you your he him his she her it its they them their
    this that these those there here what which who whom whose how when where why
    can could would should will shall may might must
    so than too very just also any some all no not only own same such
    please tell know get got let s t""".split()  # noqa: SIM905 - a list literal would be 100 lines
)

# Common ways of saying the same thing, folded to one form in documents and queries alike. Written
# from general usage in Chinese business and labour matters; the longest variant wins at a position.
_ZH_SYNONYMS: dict[str, str] = {
    # the epidemic
    "新冠肺炎": "疫情",
    "新冠": "疫情",
    "冠状病毒": "疫情",
    "肺炎疫情": "疫情",
    # lockdowns and shutdowns
    "封城": "封控",
    "封锁": "封控",
    "封闭管理": "封控",
    "管控": "封控",
    "停产": "停工",
    "停业": "停工",
    "歇业": "停工",
    "复产": "复工",
    "复业": "复工",
    "开工": "复工",
    # pay and people
    "薪水": "工资",
    "薪资": "工资",
    "薪酬": "工资",
    "薪金": "工资",
    "工钱": "工资",
    "雇员": "员工",
    "职工": "员工",
    "劳动者": "员工",
    "打工人": "员工",
    "雇主": "用人单位",
    "老板": "用人单位",
    "解雇": "辞退",
    "开除": "辞退",
    "炒鱿鱼": "辞退",
    "裁人": "裁员",
    "裁减人员": "裁员",
    "居家办公": "远程办公",
    "在家办公": "远程办公",
    "在家上班": "远程办公",
    "居家上班": "远程办公",
    # companies and contracts
    "公司": "企业",
    "合约": "合同",
    "契约": "合同",
    "协议": "合同",
    # rent and money
    "房租": "租金",
    "租子": "租金",
    "出租人": "房东",
    "承租人": "租户",
    "租客": "租户",
    "借款": "贷款",
    "借贷": "贷款",
    "还贷": "还款",
    "展期": "延期",
    "顺延": "延期",
    "推迟": "延期",
    "延后": "延期",
    "延长": "延期",
    "社会保险": "社保",
    # courts and police
    "打官司": "诉讼",
    "官司": "诉讼",
    "诉讼费用": "诉讼费",
    "案件受理费": "诉讼费",
    "法庭": "法院",
    "法援": "法律援助",
    "警察": "公安",
    "民警": "公安",
    "报警": "报案",
    "投诉": "举报",
    "假货": "假冒",
    "冒牌": "假冒",
    "山寨": "假冒",
    "伪劣": "假冒",
    "危险品": "危险化学品",
    "危化品": "危险化学品",
    # online
    "网上": "线上",
    "在线": "线上",
    "网络": "线上",
    "隐私": "个人信息",
    # commonly confused characters in pinyin input, folded both ways
    "帐": "账",
}

_EN_SYNONYMS: dict[str, str] = {
    "covid": "epidemic",
    "coronavirus": "epidemic",
    "pandemic": "epidemic",
    "outbreak": "epidemic",
    "virus": "epidemic",
    "staff": "employee",
    "worker": "employee",
    "personnel": "employee",
    "workforce": "employee",
    "employer": "company",
    "boss": "company",
    "firm": "company",
    "business": "company",
    "enterprise": "company",
    "salary": "wage",
    "salaries": "wage",
    "payroll": "wage",
    "agreement": "contract",
    "lawsuit": "litigation",
    "sue": "litigation",
    "suing": "litigation",
    "sued": "litigation",
    "redundancy": "layoff",
    "redundancies": "layoff",
    "retrench": "layoff",
    "retrenchment": "layoff",
    "dismiss": "dismissal",
    "fire": "dismissal",
    "fired": "dismissal",
    "sack": "dismissal",
    "sacked": "dismissal",
    "terminate": "dismissal",
    "termination": "dismissal",
    "postpone": "extend",
    "defer": "extend",
    "deferral": "extend",
    "deferred": "extend",
    "extension": "extend",
    "waive": "relief",
    "waiver": "relief",
    "exemption": "relief",
    "exempt": "relief",
    "reduction": "relief",
    "reduce": "relief",
    "discount": "relief",
    "cost": "fee",
    "certification": "certificate",
    "licence": "permit",
    "license": "permit",
    "fake": "counterfeit",
    "knockoff": "counterfeit",
    "telework": "remote",
    "telecommute": "remote",
    "wfh": "remote",
    "closure": "shutdown",
    "stoppage": "shutdown",
    "halt": "shutdown",
    "reopen": "resume",
    "resumption": "resume",
    "restart": "resume",
    "mediate": "mediation",
    "mediator": "mediation",
    "arbitrate": "arbitration",
    "arbitrator": "arbitration",
    "enforcement": "enforce",
    "cops": "police",
}

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_HAS_CJK = re.compile(rf"[{_CJK}]")
_HAS_LATIN = re.compile(r"[a-z]")


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    # Longest first, so 怎么办 is taken before 怎么 and 新冠肺炎 before 新冠.
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


_ZH_STOP_RE = _alternation(_ZH_STOP_WORDS)
_ZH_SYNONYM_RE = _alternation(_ZH_SYNONYMS)
_EN_PHRASES = {
    "act of god": "force majeure",
    "work from home": "remote",
    "working from home": "remote",
    "lay off": "layoff",
    "laid off": "layoff",
    "let go": "layoff",
    "go to court": "litigation",
    "take to court": "litigation",
}
_EN_PHRASE_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(p) for p in sorted(_EN_PHRASES, key=len, reverse=True)) + r")\b"
)


def normalize(text: str) -> str:
    """Fold width, case and Traditional characters, so every variant of a text looks the same."""
    return to_simplified(unicodedata.normalize("NFKC", text).lower())


def stem(word: str) -> str:
    """Strip common English inflections (plural, -ed, -ing) and a final e; crude but symmetric."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ing") and len(word) >= 6:
        word = _undouble(word[:-3])
    elif word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ed") and len(word) >= 5:
        word = _undouble(word[:-2])
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    # "lease", "leased" and "leasing" all end up as "leas".
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz":
        return word[:-1]
    return word


_EN_SYNONYM_STEMS = {stem(k): stem(v) for k, v in _EN_SYNONYMS.items()}
_EN_STOP_STEMS = frozenset(stem(w) for w in _EN_STOP_WORDS) | _EN_STOP_WORDS


def analyze(text: str) -> list[str]:
    """Turn text into search terms: Chinese characters and bigrams, English word stems."""
    text = normalize(text)
    text = _ZH_SYNONYM_RE.sub(lambda m: _ZH_SYNONYMS[m.group()], text)
    text = _EN_PHRASE_RE.sub(lambda m: _EN_PHRASES[m.group()], text)
    terms: list[str] = []
    for run in _RUN.findall(text):
        if _HAS_CJK.match(run):
            for segment in _ZH_STOP_RE.split(run):
                terms.extend(segment)
                terms.extend(segment[i : i + 2] for i in range(len(segment) - 1))
        elif run not in _EN_STOP_WORDS:
            word = _EN_SYNONYMS.get(run, run)
            stemmed = stem(word)
            stemmed = _EN_SYNONYM_STEMS.get(stemmed, stemmed)
            if stemmed not in _EN_STOP_STEMS:
                terms.append(stemmed)
    return terms


def is_chinese(text: str) -> bool:
    """Tell whether a text contains Chinese characters (then it is searched in Chinese)."""
    return _HAS_CJK.search(text) is not None


def _term_weight(term: str) -> float:
    # A single Chinese character says little on its own: it mostly rescues a phrase with one
    # mistyped character, whose bigrams are broken, so it counts for less than a bigram or word.
    if len(term) == 1 and _HAS_CJK.match(term):
        return _UNIGRAM_WEIGHT
    return 1.0


# --------------------------------------------------------------------------- ranking

# BM25F parameters. Fields a user's question resembles weigh more than the answer, which is long
# and full of incidental words. b is per field: phrasings and answers vary in length a lot.
_K1 = 1.2
_UNIGRAM_WEIGHT = 0.3
_UNSEEN_WEIGHT = 1.0
_FIELDS: dict[str, tuple[float, float]] = {  # name: (weight, b)
    "question": (3.0, 0.5),
    "phrasings": (2.0, 0.75),
    "keywords": (3.0, 0.5),
    "answer": (0.6, 0.75),
    "references": (0.3, 0.5),
}

# Below this fraction of the best score the query could reach, nothing matched well enough.
DEFAULT_THRESHOLD = 0.30


def _entry_fields(entry: FaqEntry, chinese: bool) -> dict[str, list[str]]:
    lang = ZH_HANS if chinese else EN
    return {
        "question": analyze(entry.question.get(lang, "")),
        "phrasings": [t for p in entry.phrasings.get(lang, ()) for t in analyze(p)],
        "keywords": [t for k in entry.keywords.get(lang, ()) for t in analyze(k)],
        "answer": analyze(entry.answer.get(lang, "")),
        "references": [t for r in entry.references for t in analyze(r.get(lang, ""))],
    }


@dataclass(frozen=True, slots=True)
class _Index:
    """BM25F postings for one language: term -> [(entry position, saturated term frequency)]."""

    postings: dict[str, list[tuple[int, float]]]
    idf: dict[str, float]
    unseen_idf: float

    @classmethod
    def build(cls, entries: Sequence[FaqEntry], chinese: bool) -> _Index:
        docs = [_entry_fields(e, chinese) for e in entries]
        n = max(len(docs), 1)
        avg = {name: max(sum(len(d[name]) for d in docs) / n, 1.0) for name in _FIELDS}
        postings: dict[str, list[tuple[int, float]]] = {}
        for position, doc in enumerate(docs):
            pseudo: dict[str, float] = {}
            for name, terms in doc.items():
                weight, b = _FIELDS[name]
                norm = 1.0 - b + b * len(terms) / avg[name]
                for term, tf in Counter(terms).items():
                    pseudo[term] = pseudo.get(term, 0.0) + weight * tf / norm
            for term, pseudo_tf in pseudo.items():
                saturated = pseudo_tf / (_K1 + pseudo_tf)
                postings.setdefault(term, []).append((position, saturated))
        idf = {t: _idf(n, len(p)) for t, p in postings.items()}
        return cls(postings, idf, _idf(n, 0))


def _idf(n: int, df: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


class FaqIndex:
    """Search entries by free text in Chinese (either script) or English."""

    def __init__(self, entries: Sequence[FaqEntry], threshold: float = DEFAULT_THRESHOLD) -> None:
        self.entries = tuple(entries)
        self.threshold = threshold
        self._zh = _Index.build(self.entries, chinese=True)
        self._en = _Index.build(self.entries, chinese=False)

    def scores(self, query: str, lang: str = ZH_HANS) -> list[Hit]:
        """Score every entry that shares a term with the query, best first, ignoring dates."""
        chinese = is_chinese(query) or (lang != EN and not _HAS_LATIN.search(normalize(query)))
        index = self._zh if chinese else self._en
        terms = set(analyze(query))
        if not terms:
            return []
        totals: dict[int, float] = {}
        best_possible = 0.0
        for term in terms:
            weight = _term_weight(term)
            # An unknown term counts towards what the query could reach, so a question about
            # something the knowledge base never mentions scores low against every entry.
            idf = index.idf.get(term)
            best_possible += weight * (index.unseen_idf * _UNSEEN_WEIGHT if idf is None else idf)
            if idf is None:
                continue
            for position, saturated in index.postings.get(term, ()):
                totals[position] = totals.get(position, 0.0) + weight * idf * saturated
        hits = [Hit(self.entries[p].id, s / best_possible) for p, s in totals.items()]
        hits.sort(key=lambda h: (-h.score, h.id))
        return hits

    def search(self, query: str, lang: str, today: date, limit: int = 3) -> list[Hit]:
        """Return up to `limit` entries valid today that match the query well, best first."""
        valid = {e.id for e in self.entries if e.is_valid(today)}
        hits = [h for h in self.scores(query, lang) if h.id in valid]
        if not hits or hits[0].score < self.threshold:
            return []
        return [h for h in hits if h.score >= self.threshold][:limit]


def by_id(entries: Iterable[FaqEntry]) -> Mapping[str, FaqEntry]:
    """Index entries by id."""
    return {e.id: e for e in entries}
