"""docs/patterns.md is generated from the catalogue and must be up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from logsleuth import catalogue

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "gen_patterns_doc", ROOT / "scripts" / "gen_patterns_doc.py"
)
assert _spec is not None and _spec.loader is not None
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def test_patterns_doc_is_up_to_date():
    current = (ROOT / "docs" / "patterns.md").read_text(encoding="utf-8")
    assert current == gen.render(catalogue.load()), "run: python scripts/gen_patterns_doc.py"


def test_every_entry_has_a_section():
    text = (ROOT / "docs" / "patterns.md").read_text(encoding="utf-8")
    for p in catalogue.load():
        assert f"#### {p.id} {p.name}\n" in text


def test_check_mode_reports_a_stale_doc(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "patterns.md"
    stale.write_text("# stale\n", encoding="utf-8")
    monkeypatch.setattr(gen, "DOC", stale)
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    assert gen.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().out
    assert gen.main([]) == 0
    assert gen.main(["--check"]) == 0
