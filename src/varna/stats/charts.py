"""Bar charts drawn on the server as SVG, from the figures as shown (hidden ones stay hidden).

Colours are from the Okabe–Ito palette, which stays distinct with the common kinds of colour
blindness; the second series is also hatched and every bar carries its figure as text, so
colour is never the only cue. Each chart is shown with its data table beside it.
"""

from dataclasses import dataclass, field

from varna.stats.figures import Cell

# Okabe–Ito blue and orange; a dark outline keeps the lighter bar at 3:1 against the page.
SERIES = [
    {"fill": "#0072B2", "pattern": ""},
    {"fill": "#E69F00", "pattern": "hatch"},
]
WIDTH = 640
HEIGHT = 260
LEFT = 40
BOTTOM = 56
TOP = 20


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    text: str  # the figure written on the bar ("<5" where hidden)
    text_x: float
    text_y: float
    hidden: bool


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class Category:
    text: str
    x: float


@dataclass
class Chart:
    key: str
    title: str
    description: str
    series: list[tuple[str, dict[str, str]]]
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = HEIGHT - BOTTOM
    left: int = LEFT


def _scale(top: float) -> float:
    """A round number at or above the largest value, for the axis."""
    if top <= 5:
        return 5
    step = 10 ** (len(str(int(top))) - 1)
    return float(-(-top // step) * step)


def bar_chart(
    key: str,
    title: str,
    description: str,
    categories: list[str],
    series: list[tuple[str, list[Cell]]],
) -> Chart:
    """Grouped vertical bars: one group per category, one bar per series."""
    chart = Chart(
        key=key,
        title=title,
        description=description,
        series=[(name, SERIES[index]) for index, (name, _values) in enumerate(series)],
    )
    values = [cell.value or 0 for _name, cells in series for cell in cells]
    top = _scale(max(values, default=0))
    plot_height = HEIGHT - BOTTOM - TOP
    group = (WIDTH - LEFT - 10) / max(len(categories), 1)
    bar = min(group * 0.8 / max(len(series), 1), 40)
    for step in range(5):
        value = top * step / 4
        chart.ticks.append(Tick(y=chart.baseline - plot_height * step / 4, text=f"{value:g}"))
    for index, category in enumerate(categories):
        start = LEFT + index * group + (group - bar * len(series)) / 2
        chart.categories.append(Category(text=category, x=LEFT + index * group + group / 2))
        for number, (_name, cells) in enumerate(series):
            cell = cells[index]
            height = plot_height * (cell.value or 0) / top if cell.value else 0
            x = start + number * bar
            chart.bars.append(
                Bar(
                    x=round(x, 1),
                    y=round(chart.baseline - height, 1),
                    width=round(bar - 2, 1),
                    height=round(height, 1),
                    series=number,
                    text=cell.text,
                    text_x=round(x + (bar - 2) / 2, 1),
                    text_y=round(chart.baseline - height - 4, 1),
                    hidden=cell.value is None,
                )
            )
    return chart
