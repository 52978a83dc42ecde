"""`type: hf` and `type: sacrebleu`: local copies load through the real `datasets` / sacreBLEU code; hub and
sacreBLEU downloads fail fast offline, without any network call, naming what is missing and how to provide it."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path

import pytest
from mteval.config.load import load_config
from mteval.corpus.load import load_corpus
from mteval.errors import ConfigError, CorpusError
from mteval.net import unreachable
from mteval.textio import read_lines

N = 50


@pytest.fixture
def newstest(shared) -> tuple[list[str], list[str]]:
    d = shared / "testsets-zhen" / "newstest"
    return read_lines(d / "newstest2019.zho-eng.zho")[:N], read_lines(d / "newstest2019.zho-eng.eng")[:N]


@pytest.fixture
def no_network(monkeypatch):
    """Any connection attempt fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network call attempted: {args[:2]}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def write_config(tmp_path: Path, corpus: str) -> Path:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"corpora:\n  - name: c\n{corpus}systems:\n  - {{name: s, backend: file, path: {cfg}}}\n"
                   f"metrics: [bleu]\noutput: {tmp_path / 'out'}\n", encoding="utf-8")
    return cfg


def load(cfg: Path):
    return load_corpus(load_config(cfg).corpora[0], print)


def test_hf_save_to_disk_directory(tmp_path, newstest):
    import datasets

    zh, en = newstest
    rows = {"translation": [{"zh": z, "en": e} for z, e in zip(zh, en)], "doc": [f"d{i // 10}" for i in range(N)]}
    ds = datasets.Dataset.from_dict(rows)
    datasets.DatasetDict({"validation": ds, "test": ds.select(range(5))}).save_to_disk(str(tmp_path / "dd"))
    cfg = write_config(tmp_path, f"""    type: hf
    dataset: {tmp_path / 'dd'}
    split: validation
    fields: {{source: translation.zh, reference: translation.en, document: doc}}
""")
    corpus = load(cfg)
    assert corpus.sources == zh and corpus.references == [en] and corpus.documents[-1] == "d4"
    assert (corpus.src_lang, corpus.tgt_lang) == ("zh", "en") and corpus.provenance["split"] == "validation"
    ds.save_to_disk(str(tmp_path / "single"))
    cfg.write_text(cfg.read_text(encoding="utf-8").replace(str(tmp_path / "dd"), str(tmp_path / "single")),
                   encoding="utf-8")
    assert load(cfg).sources == zh
    cfg.write_text(cfg.read_text(encoding="utf-8").replace(str(tmp_path / "single"), str(tmp_path / "dd"))
                   .replace("split: validation", "split: train"), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"dd: no split 'train' \(splits: validation, test\)"):
        load(cfg)
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("split: train", "split: test")
                   .replace("translation.en", "translation.de"), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"row 1: no field 'translation.de' \(found \['en', 'zh'\]\)"):
        load(cfg)


def test_hf_missing_local_directory(tmp_path):
    with pytest.raises(ConfigError, match=r"c\.yaml:4: corpora\.0\.dataset: dataset directory not found"):
        load_config(write_config(tmp_path, f"    type: hf\n    dataset: {tmp_path / 'nope'}\n"
                                           "    fields: {source: zh, reference: en}\n"))


def hub_config(tmp_path: Path) -> Path:
    return write_config(tmp_path, """    type: hf
    dataset: wmt/wmt19
    config: zh-en
    split: validation
    fields: {source: translation.zh, reference: translation.en}
""")


def test_hf_hub_offline_fails_fast_without_network(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    spec = load_config(hub_config(tmp_path)).corpora[0]
    began = time.perf_counter()
    with pytest.raises(CorpusError) as err:
        load_corpus(spec, print)
    assert time.perf_counter() - began < 1.0
    message = str(err.value)
    assert "'wmt/wmt19' is not in the local cache" in message and "HF_DATASETS_OFFLINE=1" in message
    assert "save_to_disk(DIR)" in message and "type: table" in message and "\n" not in message


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_hf_hub_unreachable_fails_fast(tmp_path, monkeypatch):
    """The probe really connects: a hub endpoint nobody listens on is reported, a listening one is reachable."""
    for var in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE", "MTEVAL_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    began = time.perf_counter()
    with pytest.raises(CorpusError, match=r"the hub cannot be used: cannot reach 127\.0\.0\.1 \(Connection refused\)"):
        load(hub_config(tmp_path))
    assert time.perf_counter() - began < 1.0
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert unreachable(f"http://127.0.0.1:{server.getsockname()[1]}") is None


@pytest.fixture
def wmt20(tmp_path, monkeypatch):
    """sacreBLEU's wmt20 test set with its folders moved under tmp_path (nothing downloaded yet)."""
    from sacrebleu.dataset import DATASETS

    ds = DATASETS["wmt20"]
    monkeypatch.setattr(ds, "_outdir", str(tmp_path / "sacrebleu" / "wmt20"))
    monkeypatch.setattr(ds, "_rawdir", str(tmp_path / "sacrebleu" / "wmt20" / "raw"))
    return ds


SACRE = "    type: sacrebleu\n    testset: wmt20\n    pair: zh-en\n"


def test_sacrebleu_offline_fails_fast_without_network(tmp_path, monkeypatch, wmt20, no_network):
    monkeypatch.setenv("MTEVAL_OFFLINE", "1")
    spec = load_config(write_config(tmp_path, SACRE)).corpora[0]
    began = time.perf_counter()
    with pytest.raises(CorpusError) as err:
        load_corpus(spec, print)
    assert time.perf_counter() - began < 1.0
    message = str(err.value)
    assert message.startswith("sacreBLEU test set wmt20 (zh-en) is not downloaded")
    assert "offline mode (MTEVAL_OFFLINE=1)" in message and "sacrebleu -t wmt20 -l zh-en --echo src" in message
    assert not Path(wmt20._rawdir).exists() or not any(Path(wmt20._rawdir).iterdir())


def test_sacrebleu_local_copy_through_sacrebleu(tmp_path, shared, wmt20, no_network):
    """A sacreBLEU folder that already holds wmt20 zh-en (newstest2020, from the shared test sets) loads offline."""
    d = shared / "testsets-zhen" / "newstest"
    zh, en = read_lines(d / "newstest2020.zho-eng.zho"), read_lines(d / "newstest2020.zho-eng.eng")
    raw = Path(wmt20._rawdir)
    raw.mkdir(parents=True)
    (raw / wmt20._get_tarball_filename(wmt20.data[0])).write_bytes(b"placeholder")
    docs = [f"doc{i // 20}" for i in range(len(zh))]
    for field, lines in (("src", zh), ("ref", en), ("docid", docs), ("genre", ["news"] * len(zh)),
                         ("origlang", ["zh"] * len(zh))):
        Path(wmt20._get_txt_file_path("zh-en", field)).write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus = load(write_config(tmp_path, SACRE))
    assert corpus.sources == zh and corpus.references == [en] and corpus.documents == docs
    assert corpus.provenance["testset"] == "wmt20" and len(corpus) == 2000


def test_sacrebleu_unknown_testset_or_pair(tmp_path):
    with pytest.raises(ConfigError, match=r"c\.yaml:4: corpora\.0\.testset: unknown sacreBLEU test set 'wmt200' \(did you mean wmt20"):
        load_config(write_config(tmp_path, SACRE.replace("wmt20\n", "wmt200\n")))
    with pytest.raises(ConfigError, match=r"corpora\.0\.pair: test set wmt20 has no pair 'zh-xx' \(pairs: .*zh-en"):
        load_config(write_config(tmp_path, SACRE.replace("zh-en", "zh-xx")))


def test_hf_local_dataset_with_language_configs(tmp_path, shared):
    """A dataset laid out like FLORES+ on the hub (one configuration per language, declared in README.md),
    loaded through `load_dataset`; references come from `reference_config`, matched to sources by id."""
    import json

    d = shared / "testsets-zhen" / "flores200-devtest"
    zh, en = read_lines(d / "zho_Hans.devtest")[:N], read_lines(d / "eng_Latn.devtest")[:N]
    root = tmp_path / "flores_plus"
    for lang, lines in (("cmn_Hans", zh), ("eng_Latn", en)):
        rows = [{"id": i, "text": t, "url": f"u{i // 5}"} for i, t in enumerate(lines)]
        if lang == "eng_Latn":
            rows.reverse()  # matched by id, not by position
        (root / lang).mkdir(parents=True)
        (root / lang / "devtest.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                                   encoding="utf-8")
    (root / "README.md").write_text("---\nconfigs:\n" + "".join(
        f"- config_name: {lang}\n  data_files:\n  - split: devtest\n    path: {lang}/devtest.jsonl\n"
        for lang in ("cmn_Hans", "eng_Latn")) + "---\n", encoding="utf-8")
    cfg = write_config(tmp_path, f"""    type: hf
    dataset: {root}
    config: cmn_Hans
    reference_config: eng_Latn
    split: devtest
    fields: {{source: text, reference: text, id: id, document: url}}
    src_lang: zh
    tgt_lang: en
""")
    corpus = load(cfg)
    assert corpus.sources == zh and corpus.references == [en]
    assert corpus.ids == [str(i) for i in range(N)] and corpus.documents[7] == "u1"
    assert corpus.provenance["reference_config"] == "eng_Latn"
    rows = [json.loads(line) for line in (root / "eng_Latn" / "devtest.jsonl").read_text(encoding="utf-8").split("\n")
            if line]
    (root / "eng_Latn" / "devtest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[1:]), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"\[cmn_Hans/devtest\]: row 50: id '49' has no row in .*\[eng_Latn/devtest\]"):
        load(cfg)
