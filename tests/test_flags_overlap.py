"""One flag per problem: a generic mistranslation flag mostly inside a specific detector's flag, or inside an
allowed glossary form, is dropped, on made-up spans and on the seed MT (where the broken sentence, the fragment and
the glossary term each had a vaguer mistranslation flag on the same words, and "New Strategic Arms Reduction Treaty",
an allowed form, was flagged as a mistranslation because the reference says "New START")."""

from __future__ import annotations

import json

from mteval import cli
from mteval.flags import Flag, Segment
from mteval.flags.glossary import Glossary
from mteval.flags.overlap import drop_covered


def flag(kind: str, start: int, end: int, segment: int = 0) -> Flag:
    return Flag(segment, start, end, "minor", kind, "", "", {}, 0.5)


def test_generic_flags_mostly_inside_specific_ones_go() -> None:
    specific = flag("terminology", 10, 30)
    inside = flag("mistranslation", 12, 28)  # all inside
    half = flag("mistranslation", 20, 40)  # 10 of 20 characters inside: half, dropped
    less = flag("mistranslation", 25, 40)  # 5 of 15 inside: kept
    elsewhere = flag("mistranslation", 12, 28, segment=1)  # same offsets, another segment: kept
    omission = flag("omission", 0, 0)
    near_gap = flag("mistranslation", 0, 5)  # a zero-width flag covers nothing: kept
    kept = drop_covered([specific, inside, half, less, elsewhere, omission, near_gap])
    assert kept == [specific, less, elsewhere, omission, near_gap]
    assert drop_covered([inside, half]) == [inside, half]  # generic flags do not cover each other
    assert drop_covered([inside, less, elsewhere], {0: [(12, 28)]}) == [less, elsewhere]  # an approved span covers


def test_glossary_approves_its_allowed_forms_as_written(tmp_path) -> None:
    tsv = tmp_path / "g.tsv"
    tsv.write_text("新削减战略武器条约\tNew START|New Strategic Arms Reduction Treaty\n战略稳定\tstrategic stability\n",
                   encoding="utf-8")
    glossary = Glossary({"glossary": str(tsv)})
    hyp = "They extended the new strategic-arms  Reduction Treaty and New START, not strategic stability."
    seg = Segment(0, "双方讨论了新削减战略武器条约延期问题。", hyp)
    assert [hyp[s:e] for s, e in glossary.approved(seg)] == ["New START", "new strategic-arms  Reduction Treaty"]
    assert glossary.approved(Segment(0, "没有术语。", hyp)) == []  # forms count only where the source has the term


def test_seed_problems_get_one_flag_each(seed_dir, capsys) -> None:
    d = seed_dir
    assert cli.main(["flag", "--src", str(d / "source.zh"), "--hyp", str(d / "seed-mt.en.txt"), "--ref",
                     str(d / "reference.en"), "--level", "document", "--glossary", str(d / "glossary.tsv"),
                     "-f", "jsonl", "-q"]) == 0
    flags = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_text: dict[str, list[str]] = {}
    for f in flags:
        by_text.setdefault(f["text"], []).append(f["kind"])
    assert sorted(by_text["relax. intense situation"]) == ["broken-sentence"]
    assert by_text["intense situation"] == ["terminology"]
    assert by_text["Stable and predictable collaborative relationship."] == ["fragment"]
    assert "collaborative relationship" not in by_text
    assert by_text["strategic and stable dialogue"] == ["terminology"]
    assert not any("Arms Reduction" in t for t in by_text)  # "New Strategic Arms Reduction Treaty" is allowed
    for f in flags:  # no mistranslation flag is mostly inside another kind's flag
        if f["kind"] == "mistranslation":
            inside = {i for g in flags if g["kind"] != "mistranslation" and g["segment"] == f["segment"]
                      for i in range(max(f["start"], g["start"]), min(f["end"], g["end"]))}
            assert len(inside) < (f["end"] - f["start"]) / 2, f
