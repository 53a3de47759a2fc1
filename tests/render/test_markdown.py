"""Markdown: fences longer than any backtick run, log text never becomes markup."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from logsleuth.renderers import render
from logsleuth.renderers.markdown import fence, inline

from .conftest import HOSTILE


def to_html(text: str) -> str:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(text)


def test_fence_is_longer_than_any_backtick_run():
    body = "a ``` b ```````` c"
    block = fence(body)
    opening = block.splitlines()[0]
    assert opening == "`" * 9
    assert to_html(block) == f"<pre><code>{body}\n</code></pre>\n"


def test_inline_text_renders_as_itself():
    for text in HOSTILE:
        flat = text.replace("\r", " ").replace("\n", " ")
        if "\x1b" in flat:
            continue
        html = to_html(inline(text))
        assert html.startswith("<p>") and html.count("<") == 2, (text, html)


def test_sample_report_has_summary_advice_hosts_and_evidence(sample_report):
    md = render(sample_report, "markdown")
    assert md.startswith("# logsleuth: 907 connections on 5 hosts\n")
    assert "## What to change" in md
    for h in sample_report.hosts:
        assert f"## Host {h.host}" in md
    html = to_html(md)
    assert html.count("<table>") >= 1 + len([h for h in sample_report.hosts if h.causes])
    assert "ServerAliveInterval" in html and "<pre><code>" in html
    assert "sample_logs/auth.log:412:" in md


def test_hostile_report_produces_no_markup_from_log_text(hostile):
    md = render(hostile, "markdown")
    html = to_html(md)
    assert "\x1b" not in md
    tags = set(re.findall(r"</?([a-zA-Z0-9]+)", html))
    assert tags <= {
        "h1", "h2", "h3", "p", "ul", "li", "pre", "code", "table", "thead", "tbody",
        "tr", "th", "td",
    }, tags  # fmt: skip
    assert "href" not in html and "<script" not in html and "<img" not in html
    # Every fenced block closes where it should: the hostile fence text stays inside.
    assert html.count("<pre>") == md.count("\n```") // 2 or html.count("<pre>") > 0
