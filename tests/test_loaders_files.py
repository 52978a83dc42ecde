"""`type: files` on the real FLORES-200 and newstest files, the shipped flores/newstest configs, bad input
(misaligned, invalid UTF-8, mixed line endings, duplicate ids, empty segments), and property-based round trips."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mteval.config.load import load_config
from mteval.corpus.load import load_corpus
from mteval.errors import ConfigError, CorpusError
from mteval.textio import read_lines

from .conftest import ROOT


def files_config(tmp_path: Path, source: Path, refs: list[Path], extra: str = "") -> Path:
    cfg = tmp_path / "files.yaml"
    ref_lines = "\n" + "".join(f"      - {r}\n" for r in refs) if refs else " []\n"
    cfg.write_text(f"""corpora:
  - name: c
    type: files
    source: {source}
    references:{ref_lines}    src_lang: zh
    tgt_lang: en
{extra}systems:
  - {{name: s, backend: file, path: {source}}}
metrics: [bleu]
output: {tmp_path / 'out'}
""", encoding="utf-8")
    return cfg


def load(cfg: Path, log=print):
    return load_corpus(load_config(cfg).corpora[0], log)


def test_flores_config_with_document_ids(shared, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("TESTSETS_DIR", raising=False)
    config = load_config("configs/flores-zhen.yaml", ["corpora.flores200-devtest.limit=30"])
    corpus = load_corpus(config.corpora[0], print)
    d = shared / "testsets-zhen" / "flores200-devtest"
    assert corpus.sources == (d / "zho_Hans.devtest").read_text(encoding="utf-8").split("\n")[:30]
    assert corpus.references == [(d / "eng_Latn.devtest").read_text(encoding="utf-8").split("\n")[:30]]
    with open(d / "metadata_devtest.tsv", encoding="utf-8") as fh:
        urls = [row["URL"] for row in csv.DictReader(fh, delimiter="\t")]
    assert corpus.documents == urls[:30] and corpus.provenance["segments_total"] == 1012
    assert config.systems[0]["backend"] == "hf-causal"


def test_newstest_config_corpora(shared, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("TESTSETS_DIR", raising=False)
    config = load_config("configs/newstest-zhen.yaml")
    d = shared / "testsets-zhen" / "newstest"
    names = [c["name"] for c in config.corpora]
    assert names == [f"newstest{y}" for y in range(2017, 2022)]
    corpus = load_corpus(config.corpora[3], print)  # newstest2020: two references
    assert corpus.references == [read_lines(d / "newstest2020.zho-eng.eng"), read_lines(d / "newstestB2020.zho-eng.eng")]
    assert len(corpus) == 2000 and corpus.sources == read_lines(d / "newstest2020.zho-eng.zho")


def test_testsets_dir_variable_and_set_override(shared, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("TESTSETS_DIR", str(tmp_path / "elsewhere"))
    with pytest.raises(ConfigError, match=r"flores-zhen\.yaml:\d+: corpora\.0\.source: file not found: .*elsewhere"):
        load_config("configs/flores-zhen.yaml")
    monkeypatch.setenv("TESTSETS_DIR", str(shared / "testsets-zhen"))
    nt = shared / "testsets-zhen" / "newstest"
    config = load_config("configs/newstest-zhen.yaml", [f"corpora.newstest2017.source={nt / 'newstest2018.zho-eng.zho'}",
                                                        f"corpora.newstest2017.references.0={nt / 'newstest2018.zho-eng.eng'}",
                                                        "corpora.newstest2017.limit=5"])
    assert load_corpus(config.corpora[0], print).sources == read_lines(nt / "newstest2018.zho-eng.zho")[:5]


def test_misaligned_and_ids_file(shared, tmp_path):
    nt = shared / "testsets-zhen" / "newstest"
    with pytest.raises(CorpusError, match=r"line counts differ: .*newstest2019\.zho-eng\.zho has 2000 lines, "
                                          r".*newstest2017\.zho-eng\.eng has 2001 lines"):
        load(files_config(tmp_path, nt / "newstest2019.zho-eng.zho", [nt / "newstest2017.zho-eng.eng"]))
    ids = tmp_path / "ids.txt"
    ids.write_text("".join(f"nt19-{i}\n" for i in range(2000)), encoding="utf-8")
    corpus = load(files_config(tmp_path, nt / "newstest2019.zho-eng.zho", [nt / "newstest2019.zho-eng.eng"],
                               f"    ids: {ids}\n"))
    assert corpus.ids[1999] == "nt19-1999"
    ids.write_text("".join(f"nt19-{i % 1500}\n" for i in range(2000)), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"newstest2019\.zho-eng\.zho:1501: duplicate segment id 'nt19-0' "
                                          r"\(first at .*:1\)"):
        load(files_config(tmp_path, nt / "newstest2019.zho-eng.zho", [nt / "newstest2019.zho-eng.eng"],
                          f"    ids: {ids}\n"))


def test_invalid_utf8_and_mixed_line_endings(shared, tmp_path):
    lines = read_lines(shared / "testsets-zhen" / "flores200-devtest" / "zho_Hans.devtest")[:20]
    refs = read_lines(shared / "testsets-zhen" / "flores200-devtest" / "eng_Latn.devtest")[:20]
    src, ref = tmp_path / "src.zh", tmp_path / "ref.en"
    ref.write_text("\n".join(refs) + "\n", encoding="utf-8")
    data = "\n".join(lines).encode()
    cut = data.index(lines[12].encode()) + 2  # inside a 3-byte character of line 13
    src.write_bytes(data[:cut] + data[cut + 1:] + b"\n")
    with pytest.raises(CorpusError, match=r"src\.zh:13: invalid UTF-8 at byte offset \d+"):
        load(files_config(tmp_path, src, [ref]))
    src.write_text("\r\n".join(lines[:7]) + "\r\n" + "\n".join(lines[7:]) + "\n", encoding="utf-8", newline="")
    with pytest.raises(CorpusError, match=r"src\.zh:8: mixed line endings: LF here, CRLF on line 1"):
        load(files_config(tmp_path, src, [ref]))
    src.write_text("\n".join(lines[:4]) + "\n" + lines[4] + "\r" + "\n".join(lines[5:]) + "\n", encoding="utf-8",
                   newline="")  # a stray CR inside a segment would split it in two
    with pytest.raises(CorpusError, match=r"src\.zh:5: mixed line endings: CR here, LF on line 1"):
        load(files_config(tmp_path, src, [ref]))
    src.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8", newline="")
    assert load(files_config(tmp_path, src, [ref])).sources == lines


def test_empty_segments_warn_or_reject(shared, tmp_path):
    lines = read_lines(shared / "testsets-zhen" / "tico19" / "tico19-test.zho")[:10]
    refs = read_lines(shared / "testsets-zhen" / "tico19" / "tico19-test.eng")[:10]
    src, ref = tmp_path / "src.zh", tmp_path / "ref.en"
    lines[3] = ""
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ref.write_text("\n".join(refs) + "\n", encoding="utf-8")
    seen: list[str] = []
    corpus = load(files_config(tmp_path, src, [ref]), seen.append)
    assert corpus.sources[3] == "" and len(corpus) == 10
    assert seen == [f"warning: {src}:4: empty source segment (1 in all, kept; set `empty: reject` to refuse)"]
    with pytest.raises(CorpusError, match=r"src\.zh:4: empty source segment \(1 in all; set `empty: warn`"):
        load(files_config(tmp_path, src, [ref], "    empty: reject\n"))
    with pytest.raises(ConfigError, match=r"corpora\.0\.empty: 'skip' is not one of warn, reject"):
        load_config(files_config(tmp_path, src, [ref], "    empty: skip\n"))


def test_reference_free_corpus(shared, tmp_path):
    src = shared / "testsets-zhen" / "tico19" / "tico19-test.zho"
    corpus = load(files_config(tmp_path, src, []))
    assert corpus.references == [] and len(corpus) == 2100


# Segments: any Unicode text without line breaks (str.splitlines() separators are line breaks to readers too).
SEGMENT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85"
                                "\u2028\u2029"), max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(segments=st.lists(SEGMENT, min_size=1, max_size=12), crlf=st.booleans(), bom=st.booleans(),
       final_newline=st.booleans())
def test_files_round_trip(tmp_path, segments, crlf, bom, final_newline):
    """Any segments (blank ones included) written with LF or CRLF, with or without BOM and final newline,
    load back exactly; blank segments are kept and reported; ids are the 0-based line numbers."""
    if not any(s.strip() for s in segments):
        segments = [*segments, "x"]
    if not final_newline and segments[-1] == "":
        segments[-1] = "y"  # without a final newline, a trailing empty line is not written at all
    if segments[0].startswith("\ufeff"):  # a leading U+FEFF is read as a BOM
        segments[0] = "z" + segments[0]
    end = "\r\n" if crlf else "\n"
    body = end.join(segments) + (end if final_newline else "")
    src, ref = tmp_path / "src.zh", tmp_path / "ref.en"
    src.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body.encode("utf-8"))
    ref.write_bytes(body.encode("utf-8"))
    seen: list[str] = []
    corpus = load(files_config(tmp_path, src, [ref]), seen.append)
    assert corpus.sources == segments and corpus.references == [segments]
    assert corpus.ids == [str(i) for i in range(len(segments))]
    blank = [i for i, s in enumerate(segments) if not s.strip()]
    assert len(seen) == (2 if blank else 0)
    if blank:
        assert seen[0].startswith(f"warning: {src}:{blank[0] + 1}: empty source segment ({len(blank)} in all")


def test_document_ids_kept_through_resegmentation(shared, tmp_path):
    """FLORES segments with their article URLs; a document-level system output (the references joined into
    paragraphs, one per article) is re-segmented, and segments.jsonl shows each segment's id and document."""
    import json

    from mteval.cli import main

    d = shared / "testsets-zhen" / "flores200-devtest"
    zh, en = read_lines(d / "zho_Hans.devtest")[:12], read_lines(d / "eng_Latn.devtest")[:12]
    with open(d / "metadata_devtest.tsv", encoding="utf-8") as fh:
        urls = [row["URL"] for row in csv.DictReader(fh, delimiter="\t")][:12]
    src, ref, docs, hyp = (tmp_path / n for n in ("src.zh", "ref.en", "docs.txt", "hyp.en.txt"))
    for path, lines in ((src, zh), (ref, en), (docs, urls)):
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    paragraphs = [" ".join(e for e, u in zip(en, urls) if u == url) for url in dict.fromkeys(urls)]
    hyp.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    cfg = files_config(tmp_path, src, [ref], f"    documents: {docs}\n")
    cfg.write_text(cfg.read_text(encoding="utf-8").replace(f"path: {src}}}", f"path: {hyp}, level: document}}"),
                   encoding="utf-8")
    assert main(["run", str(cfg)]) == 0
    rows = [json.loads(line) for line in (tmp_path / "out" / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["document"] for r in rows] == urls and [r["id"] for r in rows] == [str(i) for i in range(12)]
    assert [r["hypothesis"] for r in rows] == en
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["corpora"]["c"]["provenance"]["documents"] == str(docs)


@pytest.mark.parametrize("case, message", [
    ("misaligned", r"line counts differ: .*src\.zh has 6 lines, .*ref\.en has 5 lines"),
    ("utf8", r"src\.zh:3: invalid UTF-8 at byte offset"),
    ("line-ends", r"src\.zh:2: mixed line endings: CRLF here, LF on line 1"),
    ("duplicate-ids", r"src\.zh:4: duplicate segment id 'a'"),
    ("empty", r"ref\.en:2: empty reference 1 segment"),
    ("missing-field", r"dev\.jsonl:3: field 'en' is missing \(null\)"),
])
def test_bad_input_via_cli_writes_nothing(tmp_path, capsys, case, message):
    from mteval.cli import main

    src, ref, ids = tmp_path / "src.zh", tmp_path / "ref.en", tmp_path / "ids.txt"
    src.write_bytes("一\n二\n三\n四\n五\n".encode())
    ref.write_text("one\ntwo\nthree\nfour\nfive\n", encoding="utf-8")
    extra = "    empty: reject\n"
    if case == "misaligned":
        src.write_bytes(src.read_bytes() + "六\n".encode())
    elif case == "utf8":
        src.write_bytes("一\n二\n".encode() + b"\xe4\xb8\n")
    elif case == "line-ends":
        src.write_bytes("一\n二\r\n三\n四\n五\n".encode())
    elif case == "duplicate-ids":
        ids.write_text("a\nb\nc\na\nd\n", encoding="utf-8")
        extra += f"    ids: {ids}\n"
    elif case == "empty":
        ref.write_text("one\n \nthree\nfour\nfive\n", encoding="utf-8")
    cfg = files_config(tmp_path, src, [ref], extra)
    if case == "missing-field":
        table = tmp_path / "dev.jsonl"
        table.write_text('{"zh": "一", "en": "one"}\n{"zh": "二", "en": "two"}\n{"zh": "三"}\n', encoding="utf-8")
        cfg.write_text(cfg.read_text(encoding="utf-8").replace("    type: files\n", f"    type: table\n    path: {table}\n"
                                                               "    fields: {source: zh, reference: en}\n")
                       .replace(f"    source: {src}\n    references:\n      - {ref}\n", ""), encoding="utf-8")
    assert main(["run", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mteval: error: ") and err.count("\n") == 1
    assert re.search(message, err), err
    assert not (tmp_path / "out").exists()
