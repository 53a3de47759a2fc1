"""The cache of validated catalogues: the same files load without a second validation,
any change to them is validated again, and a cache that cannot be used is skipped."""

from __future__ import annotations

import json
import os

import pytest
import regex

from logsleuth import catalogue
from logsleuth.errors import CatalogueError

ENTRY = """
[[pattern]]
id = "U903"
name = "site-gate"
side = "server"
family = "preauth-probe"
cause = "preauth-probe/site-specific"
role = "end"
regex = '^site gate closed for (?P<ip>\\S+) port (?P<port>\\d+)$'
summary = "s"
explanation = "e"
remedy = "r"
[[pattern.sample]]
line = "site gate closed for 1.2.3.4 port 5"
fields = { ip = "1.2.3.4", port = "5" }
"""


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """An empty cache directory, and no catalogue remembered by this process."""
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.setattr(catalogue, "_CACHE", {})
    return home / "logsleuth"


def _forget() -> None:
    catalogue._CACHE.clear()


def _no_validation(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count validations and parses (a cache hit does neither)."""
    calls: list[int] = []
    validate, parse = catalogue.validate, catalogue._parse_read

    def counted_validate(cat):
        calls.append(1)
        return validate(cat)

    def counted_parse(read):
        calls.append(1)
        return parse(read)

    monkeypatch.setattr(catalogue, "validate", counted_validate)
    monkeypatch.setattr(catalogue, "_parse_read", counted_parse)
    return calls


def test_a_validated_catalogue_is_loaded_from_the_cache(cache_home, monkeypatch):
    first = catalogue.load()
    files = list(cache_home.glob("catalogue-*.json"))
    assert len(files) == 1
    assert files[0].stat().st_mode & 0o077 == 0  # private to the user
    _forget()
    calls = _no_validation(monkeypatch)
    again = catalogue.load()
    assert calls == []
    assert again.patterns == first.patterns  # every field of every entry
    assert [p.samples for p in again] == [p.samples for p in first]
    for p in again:  # same dispatch, same answers, regexes compiled on first use
        assert "compiled" not in p.__dict__
        for s in p.samples:
            level, body, _ = catalogue.split_envelope(s.line)
            hit = again.match(body, p.side, level)
            assert hit is not None and hit[0].id == p.id and hit[1] == s.fields
    p = again.patterns[0]
    assert p.compiled.pattern == regex.compile(p.regex).pattern
    for side in catalogue.SIDES:
        got = [(c.pattern.id, c.prefixes, c.required) for c in again._ordered[side]]
        want = [(c.pattern.id, c.prefixes, c.required) for c in first._ordered[side]]
        assert got == want


def test_a_user_file_is_validated_until_it_is_unchanged(cache_home, tmp_path, monkeypatch):
    mine = tmp_path / "mine.toml"
    mine.write_text(ENTRY)
    catalogue.load([mine])
    _forget()
    calls = _no_validation(monkeypatch)
    cat = catalogue.load([mine])
    assert calls == [] and cat.get("U903") is not None
    # An edit that breaks the entry is caught: the cache is keyed by the file's bytes.
    mine.write_text(ENTRY.replace('ip = "1.2.3.4"', 'ip = "9.9.9.9"'))
    _forget()
    with pytest.raises(CatalogueError, match="9.9.9.9"):
        catalogue.load([mine])
    assert calls  # parsed and validated again


def test_an_entry_that_overlaps_a_builtin_one_is_refused_on_every_load(cache_home, tmp_path):
    """A user entry's sample is checked against the whole catalogue, cache or not."""
    mine = tmp_path / "mine.toml"
    builtin = catalogue.load().get("D101")
    assert builtin is not None
    mine.write_text(
        ENTRY.replace("^site gate closed for (?P<ip>\\S+) port (?P<port>\\d+)$", "^.*$")
        .replace('"site gate closed for 1.2.3.4 port 5"', json.dumps(builtin.samples[0].line))
        .replace('fields = { ip = "1.2.3.4", port = "5" }', "")
    )
    for _ in range(2):
        _forget()
        with pytest.raises(CatalogueError, match="D101: near-miss|also matches D101"):
            catalogue.load([mine])
    assert len(list(cache_home.glob("catalogue-*.json"))) == 1  # the builtin one only


def test_no_cache_when_it_cannot_be_written(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setattr(catalogue, "_CACHE", {})
    calls = _no_validation(monkeypatch)
    for _ in range(2):
        _forget()
        assert len(catalogue.load()) > 100
    assert len(calls) == 4  # parsed and validated every time


def test_a_relative_cache_home_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert catalogue.cache_dir() == tmp_path / ".cache" / "logsleuth"


@pytest.mark.parametrize(
    "spoil",
    [
        lambda path: path.write_text("{not json"),
        lambda path: path.write_text(json.dumps({"key": "other", "entries": []})),
        lambda path: path.write_text(
            json.dumps({**json.loads(path.read_text()), "entries": [{"pattern": {}}]})
        ),
        lambda path: os.chmod(path, 0o666),  # others may write it: not trusted
    ],
    ids=["garbage", "stale-key", "bad-entry", "world-writable"],
)
def test_a_spoilt_cache_file_is_validated_again(cache_home, monkeypatch, spoil):
    first = catalogue.load()
    (path,) = cache_home.glob("catalogue-*.json")
    spoil(path)
    _forget()
    calls = _no_validation(monkeypatch)
    again = catalogue.load()
    assert calls == [1, 1]
    assert again.patterns == first.patterns
    assert json.loads(path.read_text())["entries"]  # rewritten
