"""FAQ knowledge base records and the search over them (PRODUCT §3.4, §7).

Chinese is written without spaces, so the analyzer needs no dictionary: it indexes characters and
character bigrams after folding Traditional to Simplified. English is split into words with light
stemming. Ranking is BM25F over the fields an entry is asked by (question, phrasings, keywords)
weighted above its answer. The score is divided by the best score the query could reach (capped at
what a typical stored question could reach, since long messages tell a story around their
question), so one threshold works for a three-character query and a paragraph alike.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from bot.domain.chinese import to_simplified
from bot.domain.models import Language


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


def localized(texts: Mapping[str, str], lang: Language) -> str:
    """Return a record's text in a language, else in Simplified Chinese, else in any language."""
    return (
        texts.get(lang.value) or texts.get(Language.ZH_HANS.value) or next(iter(texts.values()), "")
    )


@dataclass(frozen=True, slots=True)
class Hit:
    """A search result: the entry id and its score, from 0 (nothing in common) to 1."""

    id: str
    score: float


# --------------------------------------------------------------------------- analysis

# Chinese words that carry no topic. Removed before n-grams are formed, so they neither match nor
# glue neighbouring words into spurious bigrams. Single characters only where they are almost never
# part of a content word (还 is not here: 还款; 和 is not here: 和解).
_ZH_STOP_WORDS = (
    "你好",
    "您好",
    "谢谢",
    "在吗",
    "有人吗",
    "在不在",
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
    much many need want way like still even already now yet ever really one thing
    something anything make made go going please tell know get got let s t
    hello hi hey thanks thank ok okay
    don doesn didn isn aren wasn weren won wouldn couldn shouldn hasn haven hadn""".split()  # noqa: SIM905 - a list literal would be 100 lines
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
    # Taiwan and Hong Kong usage (after folding to Simplified characters)
    "网路": "线上",
    "资讯": "信息",
    "个资": "个人信息",
    "纾困": "减免",
    "资遣": "裁员",
    "无薪假": "停工",
    "劳健保": "社保",
    "劳保": "社保",
    "健保": "医保",
    "法扶": "法律援助",
    "在家工作": "远程办公",
    "居家检疫": "隔离",
    "检疫": "隔离",
    "劳工": "员工",
    "仿冒": "假冒",
    "警察局": "公安",
    "警局": "公安",
    "营业税": "增值税",
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
    "colleague": "employee",
    "coworker": "employee",
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
    "attorney": "lawyer",
    "counsel": "lawyer",
    "suspend": "shutdown",
    "suspension": "shutdown",
    "positive": "infected",
    "shop": "company",
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
# Multi-word English expressions folded to one term before stemming.
_EN_PHRASES: dict[tuple[str, ...], tuple[str, ...]] = {
    tuple(phrase.split()): tuple(replacement.split())
    for phrase, replacement in {
        "act of god": "force majeure",
        "work from home": "remote",
        "working from home": "remote",
        "lock down": "lockdown",
        "locked down": "lockdown",
        "lay off": "layoff",
        "laid off": "layoff",
        "let go": "layoff",
        "go to court": "litigation",
        "take to court": "litigation",
    }.items()
}
_EN_PHRASE_LENGTHS = sorted({len(p) for p in _EN_PHRASES}, reverse=True)
_EN_PHRASE_STARTS = frozenset(p[0] for p in _EN_PHRASES)


def normalize(text: str) -> str:
    """Fold width, case and Traditional characters, so every variant of a text looks the same."""
    return to_simplified(unicodedata.normalize("NFKC", text).lower())


@lru_cache(maxsize=16384)
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
    if _HAS_CJK.search(text):
        text = _ZH_SYNONYM_RE.sub(lambda m: _ZH_SYNONYMS[m.group()], text)
    terms: list[str] = []
    words: list[str] = []
    for run in _RUN.findall(text):
        if _HAS_CJK.match(run):
            if words:
                terms += _english_terms(words)
                words = []
            for segment in _ZH_STOP_RE.split(run):
                terms += segment
                terms += map(str.__add__, segment, segment[1:])
        else:
            words.append(run)
    if words:
        terms += _english_terms(words)
    return terms


def _english_terms(words: list[str]) -> list[str]:
    terms: list[str] = []
    i = 0
    while i < len(words):
        for length in _EN_PHRASE_LENGTHS if words[i] in _EN_PHRASE_STARTS else ():
            replacement = _EN_PHRASES.get(tuple(words[i : i + length]))
            if replacement:
                i += length
                break
        else:
            replacement = (words[i],)
            i += 1
        for word in replacement:
            if word in _EN_STOP_WORDS:
                continue
            stemmed = stem(_EN_SYNONYMS.get(word, word))
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

# BM25F parameters, chosen on held-out phrasings of the knowledge base itself (each phrasing
# searched with itself removed). The question and keywords say what an entry is about; the other
# phrasings and the answer add vocabulary but also noise, so they weigh less.
_K1 = 1.2
_UNIGRAM_WEIGHT = 0.3
_FIELDS: dict[str, tuple[float, float]] = {  # name: (weight, b)
    "question": (3.0, 0.5),
    "phrasings": (1.0, 0.75),
    "keywords": (4.0, 0.5),
    "answer": (0.6, 0.75),
    "references": (0.3, 0.5),
}

# A hit needs this share of what the query could score at best. Set just above the score that 90%
# of a hand-written list of unrelated questions (greetings, divorce, trademarks, visas, ...) stay
# below; the labelled evaluation set only checks it.
DEFAULT_THRESHOLD = 0.24


@dataclass(frozen=True, slots=True)
class _Index:
    """BM25F postings for one language: term -> [(entry position, saturated term frequency)]."""

    postings: dict[str, list[tuple[int, float]]]
    idf: dict[str, float]
    unseen_idf: float
    typical_question: float

    @classmethod
    def build(cls, entries: Sequence[FaqEntry], lang: Language) -> _Index:
        questions: list[list[list[str]]] = []  # per entry: its question, then each phrasing
        docs: list[dict[str, list[str]]] = []
        for entry in entries:
            asked = [analyze(entry.question.get(lang, ""))]
            asked += [analyze(p) for p in entry.phrasings.get(lang, ())]
            questions.append(asked)
            docs.append(
                {
                    "question": asked[0],
                    "phrasings": [t for terms in asked[1:] for t in terms],
                    "keywords": [t for k in entry.keywords.get(lang, ()) for t in analyze(k)],
                    "answer": analyze(entry.answer.get(lang, "")),
                    "references": [t for r in entry.references for t in analyze(r.get(lang, ""))],
                }
            )
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
        masses = sorted(
            sum(_term_weight(t) * idf[t] for t in set(terms))
            for asked in questions
            for terms in asked
        )
        typical = masses[len(masses) // 2] if masses else 1.0
        return cls(postings, idf, _idf(n, 0), typical)


def _idf(n: int, df: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


class FaqIndex:
    """Search entries by free text in Chinese (either script) or English."""

    def __init__(self, entries: Sequence[FaqEntry], threshold: float = DEFAULT_THRESHOLD) -> None:
        self.entries = tuple(entries)
        self.threshold = threshold
        # Chinese queries are matched against the Simplified text (queries are folded to it),
        # English ones against the English text: the two never share a term.
        self._zh = _Index.build(self.entries, Language.ZH_HANS)
        self._en = _Index.build(self.entries, Language.EN)

    def scores(self, query: str, lang: Language = Language.ZH_HANS) -> list[Hit]:
        """Score every entry that shares a term with the query, best first, ignoring dates."""
        return [Hit(self.entries[p].id, score) for p, score in self._ranked(query, lang)]

    def search(self, query: str, lang: Language, today: date, limit: int = 3) -> list[Hit]:
        """Return up to `limit` entries valid today that match the query well, best first."""
        hits = [
            Hit(self.entries[p].id, score)
            for p, score in self._ranked(query, lang)
            if score >= self.threshold and self.entries[p].is_valid(today)
        ]
        return hits[: max(limit, 0)]

    def _ranked(self, query: str, lang: Language) -> list[tuple[int, float]]:
        chinese = is_chinese(query) or (
            lang != Language.EN and not _HAS_LATIN.search(normalize(query))
        )
        index = self._zh if chinese else self._en
        terms = set(analyze(query))
        totals: dict[int, float] = {}
        best_possible = 0.0
        for term in terms:
            weight = _term_weight(term)
            # A term no entry uses still counts towards what the query could reach, so a
            # question about something the knowledge base never mentions scores low everywhere.
            idf = index.idf.get(term, index.unseen_idf)
            best_possible += weight * idf
            for position, saturated in index.postings.get(term, ()):
                totals[position] = totals.get(position, 0.0) + weight * idf * saturated
        # A long message tells a story around its question: judge it against what a typical
        # stored question could match, not every word of the story. A greeting or a lone
        # character is too little to go on: the floor is one term no entry uses.
        norm = max(min(best_possible, index.typical_question), index.unseen_idf)
        ranked = [(p, min(total / norm, 1.0)) for p, total in totals.items()]
        ranked.sort(key=lambda item: (-item[1], self.entries[item[0]].id))
        return ranked
