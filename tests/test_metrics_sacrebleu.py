"""Corpus, sentence and subset scores equal sacreBLEU's own, for English (13a) and Chinese (zh) targets."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sacrebleu
from mteval import score
from mteval.cli import main
from mteval.errors import CorpusError, MetricError
from mteval.lang import lang_from_suffix
from mteval.metrics import make_metrics
from mteval.metrics.sacre import bleu_tokenizer
from sacrebleu.metrics import BLEU, CHRF, TER

from .conftest import SHARED, shared_path

WMT = SHARED / "wmt22-general-zhen"
FLORES_ZH = SHARED / "testsets-zhen" / "flores200-devtest" / "zho_Hans.devtest"


def _lines(path, n: int) -> list[str]:
    return shared_path(str(path.relative_to(SHARED))).read_text(encoding="utf-8").split("\n")[:n]


@pytest.fixture(scope="module")
def en() -> dict[str, list[str]]:
    """First 400 segments of WMT22 zh→en: references A and B, two systems."""
    return {
        "A": _lines(WMT / "references" / "generaltest2022.zh-en.ref.A.en", 400),
        "B": _lines(WMT / "references" / "generaltest2022.zh-en.ref.B.en", 400),
        "DLUT": _lines(WMT / "system-outputs" / "generaltest2022.zh-en.hyp.DLUT.en", 400),
        "Online-W": _lines(WMT / "system-outputs" / "generaltest2022.zh-en.hyp.Online-W.en", 400),
    }


def _damage(text: str, k: int) -> str:
    """A different Chinese text sharing most characters with `text`: drop every k-th, swap the two halves."""
    kept = "".join(ch for i, ch in enumerate(text) if i % k != k - 1)
    half = len(kept) // 2
    return kept[half:] + kept[:half] if k % 2 else kept


@pytest.fixture(scope="module")
def zh() -> dict[str, list[str]]:
    """Chinese target: FLORES-200 zho_Hans as reference 1, two damaged copies as reference 2 and hypothesis."""
    ref = _lines(FLORES_ZH, 200)
    return {"ref1": ref, "ref2": [_damage(s, 9) for s in ref], "hyp": [_damage(s, 5) for s in ref]}


def _short(data: dict[str, list[str]], n: int = 12, chars: int = 24) -> dict[str, list[str]]:
    """A slice short enough for sacreBLEU's TER, which is slow on character-level (asian_support) input."""
    return {k: [s[:chars] for s in v[:n]] for k, v in data.items()}


def sacre_metric(name: str, tgt_lang: str):
    cjk = tgt_lang == "zh"
    return {
        "bleu": BLEU(tokenize="zh" if cjk else "13a"),
        "chrf": CHRF(),
        "chrf++": CHRF(word_order=2),
        "ter": TER(asian_support=cjk, normalized=cjk),
    }[name]


@pytest.mark.parametrize("nrefs", [1, 2])
@pytest.mark.parametrize("metric", ["bleu", "chrf", "chrf++", "ter"])
def test_english_corpus_score_and_signature_equal_sacrebleu(en, metric, nrefs):
    n = 40 if metric == "ter" else 400  # sacreBLEU's TER is slow
    refs = [en[r][:n] for r in ("A", "B")[:nrefs]]
    hyps = {"DLUT": en["DLUT"][:n], "Online-W": en["Online-W"][:n]}
    ours = score(hyps, refs, [metric], "en")
    for system, hyp in hyps.items():
        sb = sacre_metric(metric, "en")
        expected = sb.corpus_score(hyp, refs).score
        assert ours[system][metric]["score"] == pytest.approx(expected, rel=1e-12, abs=1e-12)
        assert ours[system][metric]["signature"] == sb.get_signature().format()
        assert f"nrefs:{nrefs}" in ours[system][metric]["signature"]
        assert ours[system][metric]["higher_is_better"] is (metric != "ter")


@pytest.mark.parametrize("nrefs", [1, 2])
@pytest.mark.parametrize("metric", ["bleu", "chrf", "chrf++", "ter"])
def test_chinese_target_corpus_score_equals_sacrebleu(zh, metric, nrefs):
    data = _short(zh) if metric == "ter" else zh
    refs = [data[r] for r in ("ref1", "ref2")[:nrefs]]
    hyp = data["hyp"]
    ours = score({"sys": hyp}, refs, [metric], "zh")["sys"][metric]
    sb = sacre_metric(metric, "zh")
    assert ours["score"] == pytest.approx(sb.corpus_score(hyp, refs).score, rel=1e-12, abs=1e-12)
    assert ours["signature"] == sb.get_signature().format()


def test_chinese_target_signatures_name_the_tokenizer(zh):
    short = _short(zh, n=3)
    sigs = {m: v["signature"] for m, v in score({"s": short["hyp"]}, [short["ref1"]], tgt_lang="zh")["s"].items()}
    assert "tok:zh" in sigs["bleu"]
    assert "asian:yes" in sigs["ter"] and "norm:yes" in sigs["ter"]
    # With the English tokenizer a Chinese sentence would be one token: the zh tokenizer must change the score.
    en_bleu = score({"s": zh["hyp"]}, [zh["ref1"]], ["bleu"], "en")["s"]["bleu"]["score"]
    zh_bleu = score({"s": zh["hyp"]}, [zh["ref1"]], ["bleu"], "zh")["s"]["bleu"]["score"]
    assert en_bleu == BLEU(tokenize="13a").corpus_score(zh["hyp"], [zh["ref1"]]).score != zh_bleu


@pytest.mark.parametrize("lang,tok", [("en", "13a"), ("de", "13a"), ("eng", "13a"), ("zh", "zh"), ("zh-Hans", "zh"),
                                      ("ZH_tw", "zh"), ("yue", "zh"), ("zho", "zh"), ("zho_Hans", "zh"), ("cmn", "zh")])
def test_tokenizer_follows_target_language(lang, tok):
    assert bleu_tokenizer(lang) == tok


@pytest.mark.parametrize("path,lang", [("corpora/x/source.zh", "zh"), ("seed-mt.en.txt", "en"), ("ref.txt", None),
                                       ("generaltest2022.zh-en.ref.A.en", "en"), ("newstest2017.zho-eng.zho", "zho"),
                                       ("zho_Hans.devtest", None), ("hyp.EN", None), ("out.zh.tsv", "zh")])
def test_language_from_file_suffix(path, lang):
    assert lang_from_suffix(path) == lang


@pytest.mark.parametrize("metric", ["bleu", "chrf", "chrf++", "ter"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sentence_scores_equal_sacrebleu_sentence_functions(en, zh, metric, lang):
    n = 25 if metric == "ter" else 120
    if lang == "en":
        hyps, refs = en["Online-W"][:n], [en["A"][:n], en["B"][:n]]
    else:
        data = _short(zh) if metric == "ter" else zh
        hyps, refs = data["hyp"][:n], [data["ref1"][:n], data["ref2"][:n]]
    m = make_metrics([metric], lang)[0]
    ours = m.sentence_scores(m.stats(hyps, refs))
    tok = "zh" if lang == "zh" else "13a"
    cjk = lang == "zh"
    sentence = {
        "bleu": lambda h, r: sacrebleu.sentence_bleu(h, r, tokenize=tok),
        "chrf": lambda h, r: sacrebleu.sentence_chrf(h, r),
        "chrf++": lambda h, r: sacrebleu.sentence_chrf(h, r, word_order=2),
        "ter": lambda h, r: sacrebleu.sentence_ter(h, r, asian_support=cjk, normalized=cjk),
    }[metric]
    for i, hyp in enumerate(hyps):
        seg_refs = [r[i] for r in refs]
        expected = sentence(hyp, seg_refs).score
        assert ours[i] == pytest.approx(expected, rel=1e-12, abs=1e-12), (i, hyp, seg_refs)


@pytest.mark.parametrize("metric", ["bleu", "chrf", "chrf++", "ter"])
def test_summed_statistics_of_a_subset_give_that_subsets_corpus_score(en, metric):
    n = 40 if metric == "ter" else 300
    hyps, refs = en["DLUT"][:n], [en["A"][:n], en["B"][:n]]
    m = make_metrics([metric], "en")[0]
    stats = m.stats(hyps, refs)
    assert stats.shape[0] == n
    pick = np.random.default_rng(0).choice(n, size=n, replace=True)
    sub_h = [hyps[i] for i in pick]
    sub_r = [[r[i] for i in pick] for r in refs]
    expected = sacre_metric(metric, "en").corpus_score(sub_h, sub_r).score
    assert m.corpus_score(stats[pick]) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_api_score_rejects_misaligned_references():
    with pytest.raises(CorpusError, match="line counts differ: system 's' has 2 segments, reference 1 has 1"):
        score({"s": ["a", "b"]}, [["a"]], ["bleu"])


def test_unknown_metric_is_a_metric_error_listing_known_metrics():
    with pytest.raises(MetricError, match=r"unknown metric 'blue' \(known: bleu, chrf, chrf\+\+, comet, "):
        make_metrics(["blue"], "en")


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


def test_score_cli_json_multi_reference_names_and_signatures(en, tmp_path, capsys):
    n = 60
    ref_a = _write(tmp_path / "ref.A.en", en["A"][:n])
    ref_b = _write(tmp_path / "ref.B.en", en["B"][:n])
    src = _write(tmp_path / "src.zh", [f"源{i}" for i in range(n)])
    dlut = _write(tmp_path / "dlut.en", en["DLUT"][:n])
    online = _write(tmp_path / "online.en", en["Online-W"][:n])
    code = main(["score", "--ref", ref_a, "--ref", ref_b, "--src", src, dlut, f"W={online}",
                 "--metrics", "bleu, chrf,chrf++,ter", "--format", "json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["systems"] and list(out["systems"]) == ["dlut.en", "W"]
    refs = [en["A"][:n], en["B"][:n]]
    for name, hyp in (("dlut.en", en["DLUT"][:n]), ("W", en["Online-W"][:n])):
        got = out["systems"][name]
        assert list(got) == ["bleu", "chrf", "chrf++", "ter"]
        for metric, info in got.items():
            sb = sacre_metric(metric, "en")
            assert isinstance(info["score"], float)
            assert info["score"] == pytest.approx(sb.corpus_score(hyp, refs).score, rel=1e-12)
            assert info["signature"] == sb.get_signature().format() and "nrefs:2" in info["signature"]


def test_score_cli_text_prints_a_table_and_signatures(en, tmp_path, capsys):
    ref = _write(tmp_path / "ref.en", en["A"][:50])
    hyp = _write(tmp_path / "hyp.en", en["DLUT"][:50])
    assert main(["score", "--ref", ref, hyp, "--metrics", "bleu"]) == 0
    out = capsys.readouterr().out
    sb = BLEU()
    expected = sb.corpus_score(en["DLUT"][:50], [en["A"][:50]])
    assert f"| hyp.en | {expected.score:.2f} |" in out
    assert f"bleu: {sb.get_signature().format()}\n" in out


def test_score_cli_target_language_from_reference_suffix(zh, tmp_path, capsys):
    ref = _write(tmp_path / "ref.zh.txt", zh["ref1"][:30])
    hyp = _write(tmp_path / "hyp.txt", zh["hyp"][:30])
    assert main(["score", "--ref", ref, hyp, "--metrics", "bleu", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)["systems"]["hyp.txt"]["bleu"]
    assert got["score"] == BLEU(tokenize="zh").corpus_score(zh["hyp"][:30], [zh["ref1"][:30]]).score
    assert "tok:zh" in got["signature"]


def test_signature_needs_the_number_of_references():
    (m,) = make_metrics(["bleu"], "en")
    with pytest.raises(MetricError, match="bleu: the signature needs the number of references"):
        m.signature()
    m.num_refs = 3  # statistics computed elsewhere (e.g. in worker processes) set it
    assert m.signature().startswith("nrefs:3|case:mixed|eff:no|tok:13a")
