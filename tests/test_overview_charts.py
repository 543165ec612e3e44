"""Server-side SVG charts (frontdesk.overview.charts): structure, escaping, accessibility."""

import math
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from frontdesk.overview.charts import (
    NO_DATA,
    bar_chart,
    format_number,
    format_percent,
    heat_map,
    line_chart,
    nice_ticks,
    stacked_bar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
NASTY = '<b>&"x"'
MONTHS = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
WEEKDAYS = ["Måndag", "Tisdag", "Onsdag", "Torsdag", "Fredag"]
HOURS = [f"{h:02d}" for h in range(8, 17)]


def parse(chart: Markup) -> ET.Element:
    assert isinstance(chart, Markup)
    root = ET.fromstring(str(chart))
    assert root.tag == f"{SVG}svg"
    return root


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [el for el in root.iter() if cls in el.get("class", "").split()]


def texts(root: ET.Element) -> list[str]:
    return ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]


def tick_labels(root: ET.Element) -> list[str]:
    """The value axis labels, bottom to top."""
    return ["".join(el.itertext()) for el in by_class(root, "tick-label") if el.get("x2") is None][
        : len(by_class(root, "grid"))
    ]


def parse_number(text: str) -> float:
    return float(text.removesuffix("\u00a0%").replace("\u00a0", "").replace(",", "."))


def series(count: int, length: int = 12) -> list[tuple[str, list[int]]]:
    return [
        (f"Serie {i + 1}", [(i * 7 + j * 13) % 50 + 1 for j in range(length)]) for i in range(count)
    ]


def every_chart() -> list[Markup]:
    return [
        line_chart("lines", "Kontakter", MONTHS, series(3), y_label="Antal"),
        stacked_bar_chart("rosa", "ROSA-nivåer", MONTHS, series(8), y_label="Antal"),
        bar_chart("refs", "Remisser", ["FK", "SOC"], [12, 3], links=["/a", None]),
        heat_map(
            "heat",
            "Veckodag och timme",
            WEEKDAYS,
            HOURS,
            [[d + h for h in range(9)] for d in range(5)],
        ),
    ]


@pytest.mark.parametrize("chart", every_chart())
def test_accessible_root(chart):
    root = parse(chart)
    assert root.get("role") in ("img", "group")
    assert root.get("width") == "100%"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.get("font-family") == "inherit"
    title_id, desc_id = root.get("aria-labelledby").split()
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.get("id") == title_id and title.text
    assert desc.get("id") == desc_id and desc.text


@pytest.mark.parametrize("chart", every_chart())
def test_no_style_no_script_and_prefixed_ids(chart):
    root = parse(chart)
    prefix = root.get("id")
    for el in root.iter():
        assert el.get("style") is None
        assert el.tag not in (f"{SVG}script", f"{SVG}style", f"{SVG}foreignObject")
        if el.get("id"):
            assert el.get("id").startswith(prefix)
        size = el.get("font-size")
        if size is not None:
            assert float(size) >= 12


def test_chart_id_is_sanitised():
    root = parse(line_chart('Månad <"1">', "T", MONTHS, series(1)))
    assert root.get("id") == "m-nad-1"
    root = parse(line_chart("2024", "T", MONTHS, series(1)))
    assert root.get("id") == "c-2024"


def test_line_chart_desc_is_swedish():
    root = parse(line_chart("l", "Kontakter", MONTHS, [("A", [420] + [1] * 11), ("B", [2] * 12)]))
    desc = root.find(f"{SVG}desc").text
    assert desc.startswith("Linjediagram med 2 serier över 12 perioder, från jan till dec;")
    assert "högsta värde 420." in desc


def test_labels_are_escaped_everywhere():
    charts = [
        line_chart("a", NASTY, [NASTY, "b"], [(NASTY, [1, 2])], y_label=NASTY),
        stacked_bar_chart("b", NASTY, [NASTY, "b"], [(NASTY, [1, 2])], y_label=NASTY),
        bar_chart("c", NASTY, [NASTY], [5], links=[f"/x?{NASTY}"]),
        heat_map("d", NASTY, [NASTY], [NASTY], [[3]], links=[[f"/x?{NASTY}"]]),
    ]
    for chart in charts:
        assert "<b>" not in str(chart)
        root = parse(chart)
        assert root.find(f".//{SVG}b") is None and root.find(".//b") is None
        assert root.find(f"{SVG}title").text == NASTY
        assert any(NASTY in text for text in texts(root))


def test_control_characters_do_not_break_the_xml():
    parse(bar_chart("c", "T\x00", ["a\x0bb"], [1]))


def test_line_chart_draws_a_path_per_series_with_distinct_dash_and_marker():
    root = parse(line_chart("l", "T", MONTHS, series(8)))
    lines = by_class(root, "series-line")
    assert len(lines) == 8
    assert len({line.get("stroke-dasharray") for line in lines}) == 8
    markers = {line.get("marker-mid") for line in lines}
    assert len(markers) == 8
    shapes = {el.get("class") for el in root.iter(f"{SVG}marker")}
    assert len(shapes) == 8
    # A legend entry and a direct label at the line's end for each series.
    assert len(by_class(root, "series-label")) == 8
    legend = by_class(root, "legend")[0]
    assert ["".join(t.itertext()) for t in legend.iter(f"{SVG}text")] == [
        f"Serie {i}" for i in range(1, 9)
    ]


def test_line_chart_points_match_labels():
    root = parse(line_chart("l", "T", MONTHS, series(2)))
    for line in by_class(root, "series-line"):
        assert line.get("d").count("L") == len(MONTHS) - 1


def test_line_chart_with_a_year_of_days_thins_labels_and_drops_markers():
    days = [f"dag {i}" for i in range(365)]
    root = parse(line_chart("y", "T", days, [("Besök", [i % 17 for i in range(365)])]))
    x_labels = [t for t in by_class(root, "tick-label") if t.get("text-anchor") == "middle"]
    assert 2 <= len(x_labels) <= 12
    (line,) = by_class(root, "series-line")
    assert line.get("marker-mid") is None and line.get("marker-start") is None
    assert line.get("marker-end")


def test_single_point_line_chart():
    root = parse(line_chart("one", "T", ["jan"], [("A", [3])]))
    assert by_class(root, "series-line")[0].get("marker-start")


def test_too_many_series_or_wrong_lengths_are_refused():
    with pytest.raises(ValueError):
        line_chart("l", "T", MONTHS, series(9))
    with pytest.raises(ValueError):
        stacked_bar_chart("s", "T", MONTHS, [("A", [1, 2])])
    with pytest.raises(ValueError):
        bar_chart("b", "T", ["a", "b"], [1])
    with pytest.raises(ValueError):
        heat_map("h", "T", ["a"], ["x", "y"], [[1]])
    with pytest.raises(ValueError):
        line_chart("l", "T", ["a"], [("A", [-1])])
    with pytest.raises(ValueError):
        line_chart("l", "T", ["a"], [("A", [math.nan])])


def test_stacked_bars_segment_per_non_zero_value_with_distinct_fills():
    data = [("Nivå 1", [5, 0, 2]), ("Nivå 2", [1, 3, 0]), ("Nivå 3", [0, 0, 4])]
    root = parse(stacked_bar_chart("s", "T", ["a", "b", "c"], data))
    segments = by_class(root, "bar-segment")
    assert len(segments) == 5
    patterns = {p.get("id"): p for p in root.iter(f"{SVG}pattern")}
    assert len(patterns) == 3
    fills = {segment.get("fill") for segment in segments}
    assert fills == {f"url(#{pid})" for pid in patterns}
    # Each pattern has its own grey shade (its background rect), readable without colour.
    shades = {p.find(f"{SVG}rect").get("fill") for p in patterns.values()}
    assert len(shades) == 3
    assert "6" in texts(root)  # the total above the first bar
    assert {"Nivå 1", "Nivå 3"} <= set(texts(root))


def test_stacked_axis_covers_the_highest_total():
    root = parse(stacked_bar_chart("s", "T", ["a", "b"], [("A", [300, 10]), ("B", [120, 5])]))
    ticks = [parse_number(t) for t in tick_labels(root)]
    assert ticks[0] == 0 and ticks[-1] >= 420


def test_bar_chart_rows_values_and_links():
    labels = ["Försäkringskassan", "Socialförvaltningen", "Skatteverket"]
    links = ["/kontakter?org=FK&år=2024", None, "https://example.org/x"]
    root = parse(bar_chart("b", "Remisser", labels, [12345, 2.5, 0], links=links))
    assert root.get("role") == "group"  # links inside role="img" would be hidden
    assert len(by_class(root, "bar")) == 3
    assert [t for t in texts(root) if t in labels] == labels
    values = ["".join(t.itertext()) for t in by_class(root, "bar-value")]
    assert values == ["12\u00a0345", "2,5", "0"]
    anchors = root.findall(f".//{SVG}a")
    assert [a.get("href") for a in anchors] == [links[0], links[2]]
    assert "&amp;år=2024" in str(bar_chart("b", "T", ["a"], [1], links=[links[0]]))


def test_bar_chart_without_links_is_an_image():
    root = parse(bar_chart("b", "T", ["a", "b"], [1, 2]))
    assert root.get("role") == "img"
    assert root.find(f".//{SVG}a") is None


def test_bar_chart_percent():
    root = parse(bar_chart("p", "T", ["Centrum", "Norra"], [0.725, 0.5], percent=True))
    values = ["".join(t.itertext()) for t in by_class(root, "bar-value")]
    assert values == ["72,5\u00a0%", "50\u00a0%"]
    widths = [float(bar.get("width")) for bar in by_class(root, "bar")]
    assert widths[0] / widths[1] == pytest.approx(1.45, rel=0.01)


@pytest.mark.parametrize(
    "href", ["javascript:alert(1)", " javascript:alert(1)", "data:text/html,x"]
)
def test_unsafe_links_are_refused(href):
    with pytest.raises(ValueError):
        bar_chart("b", "T", ["a"], [1], links=[href])


def test_heat_map_cells_shades_and_text_contrast():
    values = [[0, 1, 10], [5, 0, 40]]
    links = [[None, "/k?d=1&h=9", None], [None, None, "/k?d=2&h=10"]]
    root = parse(heat_map("h", "T", ["Mån", "Tis"], ["08", "09", "10"], values, links=links))
    cells = by_class(root, "cell")
    assert len(cells) == 6
    numbers = ["".join(t.itertext()) for t in by_class(root, "cell-value")]
    assert numbers == ["1", "10", "5", "40"]
    fills = [cell.get("fill") for cell in cells]
    assert fills[0] == fills[4] == "#ffffff"
    darkness = [255 - int(fill[1:3], 16) for fill in fills]
    assert darkness[1] < darkness[3] < darkness[2] < darkness[5]
    texts_fill = {t.text: t.get("fill") for t in by_class(root, "cell-value")}
    assert texts_fill["40"] == "#ffffff" and texts_fill["1"] != "#ffffff"
    assert [a.get("href") for a in root.iter(f"{SVG}a")] == ["/k?d=1&h=9", "/k?d=2&h=10"]
    assert "högsta värde 40 (Tis, 10)" in root.find(f"{SVG}desc").text


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_heat_map_text_contrast_is_at_least_aa():
    values = [list(range(1, 41))]
    root = parse(heat_map("h", "T", ["Mån"], [str(i) for i in range(40)], values))
    cells, numbers = by_class(root, "cell"), by_class(root, "cell-value")
    for cell, number in zip(cells, numbers, strict=True):
        light, dark = sorted([luminance(cell.get("fill")), luminance(number.get("fill"))])
        assert (dark + 0.05) / (light + 0.05) >= 4.5


@pytest.mark.parametrize(
    "chart",
    [
        line_chart("a", "T", [], []),
        line_chart("a", "T", MONTHS, []),
        line_chart("a", "T", MONTHS, [("A", [0] * 12)]),
        line_chart("a", "T", MONTHS, [("A", [0] * 12)], percent=True),
        stacked_bar_chart("b", "T", [], []),
        stacked_bar_chart("b", "T", ["a"], [("A", [0]), ("B", [0])]),
        bar_chart("c", "T", [], []),
        bar_chart("c", "T", ["a", "b"], [0, 0], percent=True),
        heat_map("d", "T", [], [], []),
        heat_map("d", "T", ["a"], [], [[]]),
        heat_map("d", "T", ["a", "b"], ["x"], [[0], [0]]),
    ],
)
def test_empty_input_says_no_data(chart):
    root = parse(chart)
    assert NO_DATA in texts(root)
    assert root.find(f"{SVG}desc").text == NO_DATA
    assert root.find(f"{SVG}title").text == "T"


@pytest.mark.parametrize(
    "maximum", [0.003, 0.3, 1, 3, 7, 9.5, 10, 42, 97, 100, 101, 420, 999, 12345, 1e6]
)
def test_nice_ticks(maximum):
    ticks = nice_ticks(maximum)
    assert ticks[0] == 0 and ticks[-1] >= maximum
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1, 2, 5)
    assert all(b - a == pytest.approx(step) for a, b in zip(ticks, ticks[1:], strict=False))
    assert 3 <= len(ticks) - 1 <= 10


def test_nice_ticks_for_counts_are_whole_numbers():
    assert nice_ticks(2, integer=True) == [0, 1, 2]
    assert nice_ticks(0) == [0, 1]


def test_chart_ticks_are_nice_and_cover_the_maximum():
    root = parse(line_chart("l", "T", ["a", "b"], [("A", [420, 17])]))
    ticks = [parse_number(t) for t in tick_labels(root)]
    assert ticks == [0, 100, 200, 300, 400, 500]


@pytest.mark.parametrize("peak", [0.03, 0.3, 0.42, 0.97, 1.0])
def test_percent_axis_ends_at_or_below_100(peak):
    root = parse(line_chart("p", "T", ["a", "b"], [("A", [peak, 0.01])], percent=True))
    labels = tick_labels(root)
    assert all(label.endswith("\u00a0%") for label in labels)
    top = parse_number(labels[-1])
    assert peak * 100 <= top <= 100


def test_swedish_numbers():
    assert format_number(12345) == "12\u00a0345"
    assert format_number(2.5) == "2,5"
    assert format_number(1234567.89) == "1\u00a0234\u00a0567,9"
    assert format_number(3.0) == "3"
    assert format_number(0.25, 2) == "0,25"
    assert format_number(-0.01) == "0"
    assert format_percent(0.425) == "42,5\u00a0%"
    assert format_percent(1) == "100\u00a0%"


def test_a_gap_breaks_the_line_instead_of_dropping_to_zero():
    from frontdesk.overview.charts import line_chart

    svg = str(
        line_chart(
            "gap", "Andel", ["a", "b", "c", "d"], [("Andel", [0.5, None, 0.7, 0.8])], percent=True
        )
    )
    path = [line for line in svg.split("<path") if 'class="series-line"' in line][0]
    d = path.split(' d="')[1].split('"')[0]
    assert d.count("M") == 2  # two runs: a, then c-d
    assert d.count("L") == 1
    empty = str(line_chart("none", "Andel", ["a", "b"], [("Andel", [None, None])], percent=True))
    assert "Inga data" in empty
