"""The report is strict HTML5, self-contained, and its verdict table is the detect output."""

from __future__ import annotations

import html5lib
import pytest
from report_fixtures import bundle

from emergence.report.html import fmt_p
from emergence.report.sections import natural_key

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
URL_ATTRIBUTES = ("src", "href", XLINK_HREF, "action", "formaction", "data", "poster", "srcset")


def parse(text: str):
    """Parse with html5lib in strict mode (any parse error raises)."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)


def text_of(element) -> str:
    return "".join(element.itertext()).strip()


@pytest.fixture(scope="module")
def doc():
    return parse(bundle().html)


def test_strict_parser_rejects_broken_markup():
    # the check below can fail: strict mode raises on a stray end tag
    with pytest.raises(html5lib.html5parser.ParseError):
        parse("<!DOCTYPE html><html><head><title>x</title></head><body></p></body></html>")


def test_report_is_strict_html5(doc):
    assert doc.tag == "html"
    assert doc.find("head/title").text == "Test report"


def test_no_external_resources(doc):
    for el in doc.iter():
        for attr in URL_ATTRIBUTES:
            value = el.get(attr)
            if value is not None:
                assert value.startswith(("#", "data:")), (el.tag, attr, value)
        assert el.tag not in ("link", "iframe", "object", "embed", "img", "base")
    text = bundle().html
    assert "@import" not in text and "url(http" not in text
    csp = [m.get("content") for m in doc.iter("meta") if m.get("http-equiv")]
    assert csp and csp[0].startswith("default-src 'none'")
    # the one script is inline
    assert all(s.get("src") is None and (s.text or "").strip() for s in doc.iter("script"))


def test_sections_and_figures(doc):
    headings = [text_of(h) for h in doc.iter("h2")]
    assert headings == ["What was analysed", "Verdicts", "Tasks", "Scaling laws", "Methods"]
    analysis = bundle().analysis
    tasks = sorted(analysis.tasks["task"].unique(), key=natural_key)
    details = [d for d in doc.iter("details") if "task" in (d.get("class") or "")]
    assert [text_of(d.find("summary")).split(" ")[0] for d in details] == tasks
    for d in details:
        assert d.find(f".//{SVG}svg") is not None
    # one figure per task plus one scaling-law figure per family
    assert len(list(doc.iter(f"{SVG}svg"))) == len(tasks) + len(analysis.scaling)
    ids = [el.get("id") for el in doc.iter() if el.get("id")]
    assert len(ids) == len(set(ids)), "element ids must be unique across inline SVGs"


def test_header_names_inputs_and_reproduction(doc):
    analysis = bundle().analysis
    text = text_of(doc.find("body"))
    for f in analysis.inputs:
        assert f.sha256 in text and len(f.sha256) == 64
    assert "emergence report sim/ -o report.html --seed 3" in text
    assert f"emergence {analysis.settings.version}" in text
    for family in analysis.models["family"].unique():
        assert family in text


def test_verdict_table_matches_detect_output(doc):
    verdicts = bundle().analysis.verdicts
    table = doc.find(".//section[@id='verdicts']//table")
    header = [text_of(th) for th in table.iter("th")]
    rows = [[text_of(td) for td in tr.iter("td")] for tr in table.find("tbody")]
    assert len(rows) == len(verdicts) > 0
    col = {name: header.index(name) for name in header}
    for row, v in zip(rows, verdicts.itertuples(index=False), strict=True):
        assert row[col["family"]] == v.family
        assert row[col["task"]] == v.task
        assert row[col["verdict"]] == v.verdict
        assert row[col["scales"]] == str(v.n_scales)
        assert row[col["p (discontinuous)"]] == fmt_p(v.discontinuous_pvalue)
        assert row[col["p (continuous)"]] == fmt_p(v.continuous_pvalue)
        assert row[col["q"]] == fmt_p(v.q_value)
        assert row[col["note"]] == v.note
    # each row links to its task's section
    links = [a.get("href") for a in table.iter("a")]
    targets = {d.get("id") for d in doc.iter("details")}
    assert len(links) == len(verdicts) and all(h[1:] in targets for h in links)


def test_verdicts_come_from_detect(doc):
    from emergence.detect import LABELS

    verdicts = bundle().analysis.verdicts
    assert set(verdicts["verdict"]) <= set(LABELS)
    assert list(verdicts.columns[:3]) == ["family", "task", "verdict"]


def test_scaling_parameter_table_matches_the_fit(doc):
    from emergence.report.html import fmt_num

    (sf,) = bundle().analysis.scaling
    section = doc.find(".//section[@id='scaling']")
    tables = {text_of(t.find(".//th")): t for t in section.iter("table")}
    rows = [[text_of(td) for td in tr.iter("td")] for tr in tables["parameter"].find("tbody")]
    assert [r[0] for r in rows] == ["E", "A", "B", "alpha", "beta"]
    for name, estimate, low, high in rows:
        assert estimate == fmt_num(sf.fit.params[name], 4)
        assert (low, high) == tuple(fmt_num(v, 4) for v in sf.bootstrap.ci[name])
    assert "allocation" in tables and "compute (FLOP)" in tables
    assert "Backtest: fitted to the runs below" in text_of(section)
