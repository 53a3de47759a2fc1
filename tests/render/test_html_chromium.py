"""The HTML report in a real headless Chromium: no console errors, charts drawn, no script.

The screenshots stay in ``test-artifacts/`` (ignored by git); their paths are printed.
"""

from __future__ import annotations

import pytest

from logsleuth.renderers import render
from logsleuth.renderers.html import CSP

from .chromium import Browser, find

BINARY = find()
pytestmark = pytest.mark.skipif(
    BINARY is None,
    reason="no chromium binary (Debian package `chromium`; scripts/check installs it as root)",
)


@pytest.fixture
def browser():
    assert BINARY is not None
    b = Browser(BINARY)
    yield b
    b.close()


def test_sample_report_renders_with_charts_and_no_errors(sample_report, browser, artifacts, capsys):
    page = artifacts / "report-sample.html"
    page.write_text(render(sample_report, "html"), encoding="utf-8")
    browser.open(page)
    assert browser.errors() == []
    charts = browser.evaluate(
        "[...document.querySelectorAll('svg.chart')].map(s => [s.classList[1],"
        " s.querySelectorAll('rect.bar').length, s.getBoundingClientRect().width])"
    )
    kinds = {k for k, _, _ in charts}
    assert kinds == {"timeline", "lengths"}
    assert all(bars > 0 and width > 100 for _, bars, width in charts)
    assert browser.evaluate("document.scripts.length") == 0
    hosts = browser.evaluate("document.querySelectorAll('section.host').length")
    assert hosts == len(sample_report.hosts)
    shot = artifacts / "report-sample.png"
    width, height = browser.screenshot(shot)
    assert shot.stat().st_size > 10_000 and height > 2000
    with capsys.disabled():
        print(f"\nHTML report screenshot ({width}x{height}): {shot}")


@pytest.mark.parametrize("with_csp", [True, False], ids=["as-rendered", "csp-removed"])
def test_hostile_report_runs_no_script(hostile, browser, artifacts, with_csp, capsys):
    doc = render(hostile, "html")
    if not with_csp:
        # Escaping alone must hold: take away the policy that would block scripts anyway.
        doc = doc.replace(f'<meta http-equiv="Content-Security-Policy" content="{CSP}">', "")
        assert "Content-Security-Policy" not in doc
    page = artifacts / f"report-hostile-{'csp' if with_csp else 'nocsp'}.html"
    page.write_text(doc, encoding="utf-8")
    browser.open(page)
    assert browser.errors() == []  # a blocked inline script would be logged as an error
    assert browser.evaluate("window.__pwned") is None
    assert browser.evaluate("document.scripts.length") == 0
    assert browser.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    handlers = browser.evaluate(
        "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
        ".filter(a => a.name.startsWith('on')).map(a => a.name))"
    )
    assert handlers == []
    body = browser.evaluate("document.body.innerText")
    assert "<script>window.__pwned=1</script>" in body
    shot = artifacts / f"report-hostile-{'csp' if with_csp else 'nocsp'}.png"
    browser.screenshot(shot)
    with capsys.disabled():
        print(f"\nhostile HTML screenshot: {shot}")


def test_hostile_log_through_the_pipeline_runs_no_script(browser, artifacts, tmp_path):
    from logsleuth import api
    from tests.hostile.test_escaping import CLEAR, OSC52, _log

    from .conftest import ATTR, IMG, SCRIPT, SVG

    users = ("[/]", f"u{OSC52}", f"u{CLEAR}", "u\u202eevil", "u\u2028v", SCRIPT, ATTR, IMG, SVG)
    report = api.scan([str(_log(tmp_path, host="web<b>01", users=users))], year=2026)
    assert any(c.user == SCRIPT for c in report.connections)
    page = artifacts / "report-hostile-log.html"
    page.write_text(render(report, "html"), encoding="utf-8")
    browser.open(page)
    assert browser.errors() == []
    assert browser.evaluate("window.__pwned") is None
    assert browser.evaluate("document.scripts.length") == 0
    assert browser.evaluate("document.querySelectorAll('img, b').length") == 0
    body = browser.evaluate("document.body.innerText")
    assert "Host web<b>01" in body and "\x1b" not in body and "\u202e" not in body
