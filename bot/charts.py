"""Chart images for /stats (PNG bytes), drawn with matplotlib in a font that has Chinese glyphs.

matplotlib's own font (DejaVu Sans) has no CJK glyphs: labels in Chinese would be boxes. The
first installed font of CJK_FONTS is used (`.ci/run` installs WenQuanYi Micro Hei when none is
there); without any, charts still draw, and the first one logs that labels may show boxes.
Object-oriented API with the Agg canvas (no pyplot): no global figure state, safe to run in a
worker thread. Every label is passed in, already in the reader's language.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.domain.figures import DailySeries

_LOGGER = logging.getLogger(__name__)
CJK_FONTS = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Droid Sans Fallback",
    "WenQuanYi Zen Hei",
    "AR PL UMing CN",
)
WIDTH, HEIGHT, DPI = 8.0, 4.5, 100  # 800 x 450 pixels: readable on a phone


@dataclass(frozen=True, slots=True)
class ChartText:
    """A chart's words in the reader's language."""

    title: str
    x_label: str
    y_label: str
    empty: str  # shown when there is nothing to draw
    legend: Mapping[str, str] = field(default_factory=dict)  # series id -> label


@functools.cache
def cjk_font() -> str | None:
    """The path of the first installed font of CJK_FONTS, or None."""
    for family in CJK_FONTS:
        try:
            path = font_manager.findfont(
                font_manager.FontProperties(family=family), fallback_to_default=False
            )
        except ValueError:
            continue
        return str(path)
    _LOGGER.warning("No CJK font found (%s): chart labels may show boxes", ", ".join(CJK_FONTS))
    return None


def _figure() -> tuple[Figure, font_manager.FontProperties | None]:
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    path = cjk_font()
    return figure, font_manager.FontProperties(fname=path) if path else None


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def cases_per_day(series: DailySeries, text: ChartText) -> bytes:
    """Stacked bars: cases opened per local day, one colour per category."""
    figure, font = _figure()
    axes = figure.add_subplot()
    positions = list(range(len(series.days)))
    bottom = [0] * len(series.days)
    for key, counts in series.by_category.items():
        axes.bar(positions, counts, bottom=bottom, label=text.legend.get(key, key), width=0.8)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    step = max(1, len(series.days) // 8)
    axes.set_xticks(positions[::step], [d.strftime("%m-%d") for d in series.days[::step]])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if series.by_category:
        axes.legend(prop=font, fontsize="small", loc="upper left")
    else:
        axes.text(0.5, 0.5, text.empty, ha="center", transform=axes.transAxes, fontproperties=font)
    _words(axes, text, font)
    return _png(figure)


def response_times(hours: Sequence[float], text: ChartText) -> bytes:
    """A histogram of first-response times in hours."""
    figure, font = _figure()
    axes = figure.add_subplot()
    if hours:
        axes.hist(list(hours), bins=min(24, max(5, len(hours) // 5)), color="#4C72B0")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        axes.text(0.5, 0.5, text.empty, ha="center", transform=axes.transAxes, fontproperties=font)
    _words(axes, text, font)
    return _png(figure)


def _words(axes: Axes, text: ChartText, font: font_manager.FontProperties | None) -> None:
    axes.set_title(text.title, fontproperties=font)
    axes.set_xlabel(text.x_label, fontproperties=font)
    axes.set_ylabel(text.y_label, fontproperties=font)
