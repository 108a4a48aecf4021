"""The trend chart: well-formed SVG a browser draws, one label per month, gaps (not zeros)
where a month has nothing, and each panel's latest value with its change."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from ledger.scorecard import MEASURES
from ledger.scorecard_chart import trend_svg

NS = {"svg": "http://www.w3.org/2000/svg"}


def month(period: str, attainment: str | None, complaints: int, csat: str | None,
          fine: str, per_1000: str | None = None) -> tuple[str, dict]:
    values = {m.name: None for m in MEASURES}
    values.update(attainment=None if attainment is None else Decimal(attainment),
                  complaints=complaints, csat_mean=None if csat is None else Decimal(csat),
                  net_fine=Decimal(fine),
                  complaints_per_1000=None if per_1000 is None else Decimal(per_1000))
    return period, values


SERIES = [month("2025-12", "0.9000", 40, "4.10", "1000"),
          month("2026-01", None, 0, None, "0"),
          month("2026-02", "0.8750", 52, "3.90", "2500.50"),
          month("2026-03", "0.9312", 47, "4.20", "1800")]


def test_the_chart_is_svg_with_a_label_per_month() -> None:
    svg = trend_svg("logistics", SERIES, name="物流部 <HQ>")
    root = ET.fromstring(svg)

    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.findtext("svg:title", namespaces=NS).startswith("物流部 <HQ> (logistics)")
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[-4:] == ["12/25", "01/26", "02", "03"]
    assert "93.1% (+5.6 pt)" in texts  # attainment, latest and its change
    assert "4.20 (+0.30)" in texts and "1,800 (-700.50)" in texts
    assert "47 (-5)" in texts  # complaints: no volume every month, so counts


def test_a_month_without_data_is_a_gap_not_a_zero() -> None:
    root = ET.fromstring(trend_svg("logistics", SERIES))
    lines = root.findall("svg:polyline", NS)
    # attainment and CSAT each break at January: two runs of one and two points
    assert sorted(len(line.get("points").split()) for line in lines) == [1, 1, 2, 2]
    assert len(root.findall("svg:circle", NS)) == 6


def test_complaints_are_per_1000_units_when_every_month_has_a_volume() -> None:
    series = [month(p, "0.9", 10, "4", "0", per_1000=v)
              for p, v in (("2026-01", "1.25"), ("2026-02", "2.50"))]
    texts = [t.text for t in ET.fromstring(trend_svg("billing", series)).iter(
        "{http://www.w3.org/2000/svg}text")]
    assert "complaints per 1,000 units" in texts and "2.50 (+1.25)" in texts


def test_the_same_series_gives_the_same_bytes() -> None:
    assert trend_svg("it", SERIES) == trend_svg("it", list(SERIES))


def test_the_panels_words_can_be_another_language() -> None:
    """The status page draws Chinese charts; the figures and months stay as they are."""
    chinese = {"attainment": "SLA 达标率", "complaints": "投诉量", "csat_mean": "满意度",
               "net_fine": "净罚款", "no_data": "无数据"}
    root = ET.fromstring(trend_svg("logistics", SERIES[:2], titles=chinese))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"SLA 达标率", "投诉量", "满意度", "净罚款", "无数据"} <= set(texts)
    assert "SLA attainment" not in texts and "no data" not in texts
    assert texts[-2:] == ["12/25", "01/26"]


def test_one_month_of_attainment_is_drawn_within_0_to_100_percent() -> None:
    texts = [t.text for t in ET.fromstring(trend_svg("it", [SERIES[1], SERIES[3]])).iter(
        "{http://www.w3.org/2000/svg}text")]
    assert "100.0%" in texts and "83.8%" in texts  # 93.12% +- 9.3 pt, capped at 100%
    assert not [t for t in texts if t.startswith("-") or t in ("193.1%", "-6.9%")]
