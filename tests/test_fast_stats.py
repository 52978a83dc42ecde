"""The vectorised statistics (eval/metrics/ngrams.py, tok13a.py, formulas.py, workers.py) equal sacreBLEU's own per-segment statistics and scores."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mteval.metrics import make_metrics
from mteval.metrics.formulas import sacre_scores
from mteval.metrics.ngrams import sacre_stats_many
from mteval.metrics.tok13a import tokenize_13a
from mteval.metrics.workers import stats_many
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

WMT = "wmt22-general-zhen"
SYSTEMS = ("JDExploreAcademy", "Online-W")


def _sacre(sb, hyps: list[str], refs: list[list[str]]) -> np.ndarray:
    return np.asarray(sb._extract_corpus_statistics(hyps, refs), dtype=np.float64)


@pytest.fixture(scope="module")
def wmt22():
    from .conftest import shared_path

    d = shared_path(WMT)
    refs = [(d / "references" / f"generaltest2022.zh-en.ref.{r}.en").read_text(encoding="utf-8").splitlines()
            for r in "AB"]
    hyps = {s: (d / "system-outputs" / f"generaltest2022.zh-en.hyp.{s}.en").read_text(encoding="utf-8").splitlines()
            for s in SYSTEMS}
    return hyps, refs


@pytest.mark.parametrize("nrefs", [1, 2])
@pytest.mark.parametrize("sb", [BLEU(), CHRF(), CHRF(word_order=2), BLEU(lowercase=True)],
                         ids=["bleu", "chrf", "chrf++", "bleu-lc"])
def test_equal_to_sacrebleu_on_wmt22(wmt22, sb, nrefs):
    hyps, refs = wmt22
    refs = refs[:nrefs]
    fast = sacre_stats_many(sb, hyps, refs)
    assert fast is not None
    for system, lines in hyps.items():
        assert np.array_equal(fast[system], _sacre(sb, lines, refs)), system


def test_13a_tokenizer_equal_on_wmt22(wmt22):
    hyps, refs = wmt22
    lines = refs[0] + [h for lines in hyps.values() for h in lines]
    tok = Tokenizer13a()
    assert tokenize_13a(lines) == [tok(x) for x in lines]


_text = st.text(alphabet=st.sampled_from(list("ab cA.,;:-1 2&'\"()\t\u3000é中文。，")), max_size=40)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_text, _text, _text), min_size=1, max_size=6))
def test_equal_to_sacrebleu_on_odd_text(rows):
    """Empty segments, punctuation, digits, CJK and full-width spaces, one and two references."""
    hyps = {"a": [r[0] for r in rows], "b": [r[1] for r in rows]}
    for refs in ([[r[2] for r in rows]], [[r[2] for r in rows], [r[0][::-1] for r in rows]]):
        for sb in (BLEU(), CHRF(), CHRF(word_order=2), BLEU(tokenize="zh")):
            fast = sacre_stats_many(sb, hyps, refs)
            for system, lines in hyps.items():
                assert np.array_equal(fast[system], _sacre(sb, lines, refs)), (sb, system)


def test_13a_tokenizer_on_odd_text():
    rng = np.random.default_rng(0)
    alphabet = list("ab1 2.,-&;:()[]{}<>/\\\"'`~^_|@#$%*+=?!\n\t") + ["&quot;", "&amp;", "<skipped>", "-\n"]
    lines = ["".join(rng.choice(alphabet, size=rng.integers(0, 25))) for _ in range(3000)]
    tok = Tokenizer13a()
    assert tokenize_13a(lines) == [tok(x) for x in lines]


@pytest.mark.parametrize("sb", [BLEU(), CHRF(), CHRF(word_order=2), TER()], ids=["bleu", "chrf", "chrf++", "ter"])
def test_vectorised_scores_equal_sacrebleu(wmt22, sb):
    hyps, refs = wmt22
    lines = hyps["Online-W"][:80]
    stats = _sacre(sb, lines, [refs[0][:80]])
    rng = np.random.default_rng(1)
    rows = np.array([stats[rng.integers(0, len(stats), len(stats))].sum(0) for _ in range(50)] + [stats[0], stats[1]])
    expected = [sb._compute_score_from_stats(list(r)).score for r in rows]
    assert np.allclose(sacre_scores(sb, rows), expected, rtol=0, atol=1e-9)


def test_stats_many_two_processes_equal_one(wmt22):
    hyps, refs = wmt22
    metrics = make_metrics(["bleu", "chrf"], "en")
    one = stats_many(metrics, hyps, refs[:1], jobs=1)
    two = stats_many(metrics, hyps, refs[:1], jobs=2)
    for system in hyps:
        for m in metrics:
            assert np.array_equal(one[system][m.name], two[system][m.name])
        assert np.array_equal(one[system]["bleu"], metrics[0].stats(hyps[system], refs[:1]))
