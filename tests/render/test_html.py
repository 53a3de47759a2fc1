"""HTML without a browser: self-contained, charts present, every log string escaped."""

from __future__ import annotations

from html.parser import HTMLParser

from logsleuth.renderers import render
from logsleuth.renderers.svg import length_counts

from .conftest import ESC, HOSTILE


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(doc: str) -> Collect:
    p = Collect()
    p.feed(doc)
    p.close()
    return p


def test_sample_report_is_self_contained_with_charts(sample_report):
    doc = render(sample_report, "html")
    p = parse(doc)
    names = [t for t, _ in p.tags]
    assert "script" not in names and "link" not in names and "iframe" not in names
    for _, attrs in p.tags:
        for key, value in attrs.items():
            assert not key.startswith("on")
            if key in ("src", "href"):
                raise AssertionError(f"external reference {key}={value}")
            if key == "xmlns":
                assert value == "http://www.w3.org/2000/svg"  # a namespace name, never fetched
    assert "url(" not in doc and "@import" not in doc
    classes = [a.get("class") for t, a in p.tags if t == "svg"]
    hosts_with_timeline = [h for h in sample_report.hosts if h.timeline]
    assert classes.count("chart timeline") == len(hosts_with_timeline) > 0
    assert classes.count("chart lengths") >= 1
    text = "".join(p.text)
    assert "What to change" in text and "ServerAliveInterval 60" in text
    assert "sample_logs/auth.log" in text


def test_every_hostile_string_is_text_not_markup(hostile):
    doc = render(hostile, "html")
    p = parse(doc)
    names = {t for t, _ in p.tags}
    assert names <= {
        "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "span",
        "table", "tr", "th", "td", "ol", "ul", "li", "pre", "code", "section", "svg",
        "text", "line", "rect",
    }, names  # fmt: skip
    assert all(not k.startswith("on") for _, a in p.tags for k in a)
    text = "".join(p.text)
    for s in HOSTILE:
        if s == ESC:
            assert "\\x1b[31mred" in text
        elif "\n" not in s and "\r" not in s:
            assert s in text, s
    assert "\x1b" not in doc and "\x07" not in doc


def test_length_buckets():
    assert length_counts([0.2, 5, 59.9, 60, 3599, 3600, 8 * 3600 + 1]) == [1, 1, 1, 1, 1, 1, 1]
