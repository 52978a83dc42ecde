"""`type: table`: JSONL, TSV, CSV and Parquet files written from real FLORES-200 data, loaded through `datasets`;
bad tables fail with the file, line or row, and the problem."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mteval.cli import main
from mteval.config.load import load_config
from mteval.corpus.load import load_corpus
from mteval.errors import ConfigError, CorpusError

N = 40


@pytest.fixture
def flores(shared) -> dict[str, list[str]]:
    """First N FLORES-200 devtest segments: Chinese, English and the document URL of each."""
    d = shared / "testsets-zhen" / "flores200-devtest"
    zh = (d / "zho_Hans.devtest").read_text(encoding="utf-8").split("\n")[:N]
    en = (d / "eng_Latn.devtest").read_text(encoding="utf-8").split("\n")[:N]
    with open(d / "metadata_devtest.tsv", encoding="utf-8") as fh:
        urls = [row["URL"] for row in csv.DictReader(fh, delimiter="\t")][:N]
    return {"zh": zh, "en": en, "url": urls, "id": [f"flores-{i:04d}" for i in range(N)]}


def config(tmp_path: Path, path: Path, fields: str = "{source: zh, reference: en, id: id, document: doc}",
           extra: str = "") -> Path:
    cfg = tmp_path / "table.yaml"
    cfg.write_text(f"""corpora:
  - name: flores
    type: table
    path: {path}
    fields: {fields}
{extra}systems:
  - {{name: copy, backend: file, path: {path}}}
metrics: [chrf]
output: {tmp_path / 'out'}
""", encoding="utf-8")
    return cfg


def load(cfg: Path, log=print):
    return load_corpus(load_config(cfg).corpora[0], log)


def rows(flores):
    return [{"id": i, "zh": z, "en": e, "doc": u} for i, z, e, u in
            zip(flores["id"], flores["zh"], flores["en"], flores["url"])]


def check_flores(corpus, flores):
    assert corpus.sources == flores["zh"] and corpus.references == [flores["en"]]
    assert corpus.ids == flores["id"] and corpus.documents == flores["url"]
    assert (corpus.src_lang, corpus.tgt_lang) == ("zh", "en")


def test_jsonl(tmp_path, flores):
    path = tmp_path / "dev.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows(flores)), encoding="utf-8")
    corpus = load(config(tmp_path, path))
    check_flores(corpus, flores)
    assert corpus.provenance["format"] == "jsonl" and corpus.locate(4) == f"{path}:5"
    assert corpus.provenance["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_tsv_keeps_quotes_and_text_ids(tmp_path, flores):
    path = tmp_path / "dev.tsv"
    data = rows(flores)
    data[0]["en"] = '"Quoted" at the start, NA and 007'
    data[1]["id"] = "007"
    data[2]["en"] = "NA"
    lines = ["id\tzh\ten\tdoc"] + [f"{r['id']}\t{r['zh']}\t{r['en']}\t{r['doc']}" for r in data]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus = load(config(tmp_path, path))
    assert corpus.references[0][:3] == ['"Quoted" at the start, NA and 007', flores["en"][1], "NA"]
    assert corpus.ids[1] == "007" and corpus.sources == flores["zh"]
    assert corpus.locate(0) == f"{path}:2"


def test_csv_and_parquet(tmp_path, flores):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "dev.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["id", "zh", "en", "doc"])
        writer.writeheader()
        writer.writerows(rows(flores))
    check_flores(load(config(tmp_path, path)), flores)
    path = tmp_path / "dev.parquet"
    pq.write_table(pa.Table.from_pylist(rows(flores)), path)
    corpus = load(config(tmp_path, path))
    check_flores(corpus, flores)
    assert corpus.locate(2) == f"{path}: row 3"


def test_nested_fields_multi_reference_and_run(tmp_path, flores, capsys):
    path = tmp_path / "dev.jsonl"
    data = [{"translation": {"zh": z, "en": e}, "alt": e.upper()} for z, e in zip(flores["zh"], flores["en"])]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data), encoding="utf-8")
    cfg = config(tmp_path, path, "{source: translation.zh, reference: [translation.en, alt]}")
    corpus = load(cfg)
    assert corpus.references == [flores["en"], [e.upper() for e in flores["en"]]]
    assert corpus.ids == [str(i) for i in range(N)] and corpus.documents is None
    hyp = tmp_path / "hyp.en"
    hyp.write_text("\n".join(flores["en"]) + "\n", encoding="utf-8")
    cfg.write_text(cfg.read_text(encoding="utf-8").replace(f"path: {path}}}", f"path: {hyp}}}"), encoding="utf-8")
    assert main(["run", str(cfg), "--set", "corpora.flores.limit=10"]) == 0
    out = tmp_path / "out"
    first = json.loads((out / "segments.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["references"] == [flores["en"][0], flores["en"][0].upper()]
    assert len((out / "hypotheses" / "flores" / "copy.txt").read_text(encoding="utf-8").splitlines()) == 10


def test_missing_field(tmp_path, flores):
    path = tmp_path / "dev.jsonl"
    data = rows(flores)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"dev\.jsonl: no field 'eng' \(fields: id, zh, en, doc\)"):
        load(config(tmp_path, path, "{source: zh, reference: eng}", "    tgt_lang: en\n"))
    del data[7]["en"]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"dev\.jsonl:8: field 'en' is missing \(null\)"):
        load(config(tmp_path, path))
    data[7]["en"] = 5
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"dev\.jsonl:8: field 'en' is not text \(int 5\)"):
        load(config(tmp_path, path))


def test_unknown_field_key_and_language_needed(tmp_path, flores):
    path = tmp_path / "dev.jsonl"
    path.write_text(json.dumps(rows(flores)[0]) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"table\.yaml:5: corpora\.0\.fields\.ref: unknown key"):
        load_config(config(tmp_path, path, "{source: zh, ref: en}"))
    with pytest.raises(ConfigError, match=r"corpora\.0\.tgt_lang: cannot infer the language"):
        load_config(config(tmp_path, path, "{source: zh, reference: english}"))


def test_invalid_json_invalid_utf8_bad_tsv_row(tmp_path, flores):
    path = tmp_path / "dev.jsonl"
    good = [json.dumps(r, ensure_ascii=False) for r in rows(flores)]
    path.write_text("\n".join(good[:3] + ['{"zh": "x", "en": '] + good[3:]) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"dev\.jsonl:4: invalid JSON"):
        load(config(tmp_path, path))
    path.write_bytes("\n".join(good[:5]).encode() + b"\n" + b'{"zh": "\xff"}\n')
    with pytest.raises(CorpusError, match=r"dev\.jsonl:6: invalid UTF-8"):
        load(config(tmp_path, path))
    tsv = tmp_path / "dev.tsv"
    tsv.write_text("id\tzh\ten\tdoc\n1\ta\tb\tc\n2\ta\tb\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"dev\.tsv:3: 3 tab-separated fields, the header has 4"):
        load(config(tmp_path, tsv))


def test_duplicate_ids(tmp_path, flores):
    path = tmp_path / "dev.jsonl"
    data = rows(flores)
    data[9]["id"] = data[2]["id"]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"dev\.jsonl:10: duplicate segment id 'flores-0002' \(first at .*:3\)"):
        load(config(tmp_path, path))


def test_empty_segments_warn_or_reject(tmp_path, flores, capsys):
    path = tmp_path / "dev.jsonl"
    data = rows(flores)
    data[5]["en"] = "  "
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data), encoding="utf-8")
    messages: list[str] = []
    corpus = load(config(tmp_path, path), messages.append)
    assert corpus.references[0][5] == "  " and len(corpus) == N
    assert messages == [f"warning: {path}:6: empty reference 1 segment (1 in all, kept; set `empty: reject` to refuse)"]
    assert corpus.provenance["empty_segments"] == {"reference 1": ["flores-0005"]}
    with pytest.raises(CorpusError, match=r"dev\.jsonl:6: empty reference 1 segment"):
        load(config(tmp_path, path, extra="    empty: reject\n"))


def test_json_array(tmp_path, flores):
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(rows(flores), ensure_ascii=False, indent=1), encoding="utf-8")
    corpus = load(config(tmp_path, path))
    check_flores(corpus, flores)
    assert corpus.locate(3) == f"{path}: row 4"
    path.write_text(json.dumps(rows(flores), indent=1)[:-3], encoding="utf-8")
    with pytest.raises(CorpusError, match=r"dev\.json:\d+: invalid JSON"):
        load(config(tmp_path, path))


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r\x0b\x0c\x1c\x1d\x1e\x85"
                             "\u2028\u2029"), max_size=20)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=8), bom=st.booleans(), crlf=st.booleans())
def test_jsonl_round_trip(tmp_path, data, bom, crlf):
    """Any Unicode (line breaks, quotes, blanks included) survives JSONL with or without BOM and CRLF."""
    end = "\r\n" if crlf else "\n"
    body = end.join(json.dumps({"id": f"s{i}", "zh": z, "en": e}) for i, (z, e) in enumerate(data)) + end
    path = tmp_path / "dev.jsonl"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body.encode("utf-8"))
    corpus = load(config(tmp_path, path, "{source: zh, reference: en, id: id}"), lambda msg: None)
    assert corpus.sources == [z for z, _ in data] and corpus.references == [[e for _, e in data]]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.tuples(CELL, CELL), min_size=1, max_size=8), bom=st.booleans(), crlf=st.booleans())
def test_tsv_round_trip(tmp_path, data, bom, crlf):
    """Any tab- and newline-free Unicode (quotes, 'NA', blanks included) survives TSV with or without BOM/CRLF."""
    end = "\r\n" if crlf else "\n"
    body = end.join(["id\tzh\ten", *(f"{i:03d}\t{z}\t{e}" for i, (z, e) in enumerate(data))]) + end
    path = tmp_path / "dev.tsv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body.encode("utf-8"))
    corpus = load(config(tmp_path, path, "{source: zh, reference: en, id: id}"), lambda msg: None)
    assert corpus.sources == [z for z, _ in data] and corpus.references == [[e for _, e in data]]
    assert corpus.ids == [f"{i:03d}" for i in range(len(data))]
