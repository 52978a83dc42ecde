"""Paired bootstrap / approximate randomisation agree with sacrebleu.significance; clusters; TER direction."""

from __future__ import annotations

import json

import numpy as np
import pytest
from mteval.errors import ConfigError
from mteval.metrics import make_metrics
from mteval.metrics.significance import Settings, analyse, resample_counts
from mteval.metrics.workers import stats_many
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.significance import PairedTest, _bootstrap_resample

SYSTEMS = ("AISP-SJTU", "HuaweiTSC", "Online-G", "DLUT")  # close calls (p 0.2–0.4) and a clear loser


@pytest.fixture(scope="module")
def wmt22():
    from .conftest import shared_path

    d = shared_path("wmt22-general-zhen")
    ref = (d / "references" / "generaltest2022.zh-en.ref.A.en").read_text(encoding="utf-8").splitlines()
    hyps = {s: (d / "system-outputs" / f"generaltest2022.zh-en.hyp.{s}.en").read_text(encoding="utf-8").splitlines()
            for s in SYSTEMS}
    metrics = make_metrics(["bleu", "chrf"], "en")
    return hyps, ref, metrics, stats_many(metrics, hyps, [ref])


def test_resample_indices_are_sacrebleus(monkeypatch):
    """Our count blocks come from the same index stream as sacreBLEU's `_bootstrap_resample`."""

    class Count:
        def _compute_score_from_stats(self, totals):
            return totals

    monkeypatch.setenv("SACREBLEU_SEED", "12345")
    stats = np.eye(37)  # row i counts segment i
    _, sums = _bootstrap_resample(stats.tolist(), Count(), 600)
    ours = np.concatenate(list(resample_counts(37, 600, 12345)))
    assert np.array_equal(np.array(sums), ours)


def sacrebleu_ci(stats: np.ndarray, metric, n: int) -> tuple[float, float]:
    """The 95% interval from sacreBLEU's own resampled scores (`_bootstrap_resample`, SACREBLEU_SEED), by the
    order statistics its `estimate_ci` uses (`n // 40` from each end)."""
    _, scores = _bootstrap_resample(stats.tolist(), metric, n)
    ranked = sorted(s.score for s in scores)
    return ranked[n // 40], ranked[n - n // 40 - 1]


@pytest.mark.parametrize("test_type", ["bs", "ar"])
def test_agrees_with_sacrebleu_paired_test(wmt22, test_type, monkeypatch):
    """p-values equal sacreBLEU's exactly; CIs equal its resampled order statistics within 1e-4 (chrF is resampled
    in float32 when exact for the counts: measured differences ≤ 2e-5)."""
    monkeypatch.setenv("SACREBLEU_SEED", "12345")
    hyps, ref, metrics, stats = wmt22
    n = 1000
    baseline = SYSTEMS[0]
    settings = Settings(bootstrap=1000, ar=n if test_type == "ar" else 0, seed=12345, baseline=baseline)
    ours = analyse(metrics, stats, settings)
    sb = {"bleu": BLEU(), "chrf": CHRF()}
    _, theirs = PairedTest(list(hyps.items()), sb, [ref], test_type=test_type, n_samples=n)()
    for metric, column in (("bleu", theirs["BLEU"]), ("chrf", theirs["chrF2"])):
        for system, result in zip(theirs["System"], column):
            mine = ours[system][metric]
            assert mine["baseline"] == baseline
            if system == baseline:
                assert mine["p_value"] is None
            else:
                p = mine["p_value"] if test_type == "bs" else mine["p_value_ar"]
                assert p == result.p_value, (metric, system, p, result.p_value)
            if test_type == "bs":  # sacreBLEU's AR mode has no CIs unless asked, and then from other resamples
                low, high = mine["ci"]
                want = sacrebleu_ci(stats[system][metric], sb[metric], n)
                assert (low, high) == pytest.approx(want, abs=1e-4), (metric, system)
                assert high - low == pytest.approx(2 * result.ci, abs=1e-4)  # sacreBLEU's printed ± half-width
                assert low < result.score < high


def test_default_baseline_is_best_and_clusters_follow_scores(wmt22):
    _, _, metrics, stats = wmt22
    out = analyse(metrics, stats, Settings(bootstrap=500))
    for m in metrics:
        scores = {s: m.corpus_score(stats[s][m.name]) for s in stats}
        best = max(scores, key=scores.get)
        assert all(out[s][m.name]["baseline"] == best for s in stats)
        order = sorted(scores, key=scores.get, reverse=True)
        clusters = [out[s][m.name]["cluster"] for s in order]
        assert clusters[0] == 1 and clusters == sorted(clusters)
        assert out["DLUT"][m.name]["cluster"] > out[best][m.name]["cluster"]  # DLUT is 4–5 BLEU behind


def test_clusters_ties_and_lower_is_better():
    """Three systems: two identical (one cluster), one clearly worse; TER orders lower-first."""
    rng = np.random.default_rng(0)
    n = 400
    ref_len = rng.integers(10, 30, n).astype(float)
    good = np.column_stack([rng.binomial(ref_len.astype(int), 0.2), ref_len])
    bad = np.column_stack([rng.binomial(ref_len.astype(int), 0.5), ref_len])
    ter = make_metrics(["ter"], "en")
    stats = {"bad": {"ter": bad}, "good": {"ter": good}, "good2": {"ter": good.copy()}}
    out = analyse(ter, stats, Settings(bootstrap=300))
    assert out["good"]["ter"]["cluster"] == out["good2"]["ter"]["cluster"] == 1
    assert out["bad"]["ter"]["cluster"] == 2
    assert out["bad"]["ter"]["baseline"] == "good"
    assert out["bad"]["ter"]["p_value"] < 0.01 and out["good2"]["ter"]["p_value"] > 0.5
    low, high = out["bad"]["ter"]["ci"]
    assert 45 < low < 50 < high < 55


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="alpha"):
        Settings(alpha=1.5)
    with pytest.raises(ConfigError, match=">= 0"):
        Settings(bootstrap=-1)


def test_score_command_json_and_bad_baseline(tmp_path, capsys):
    from mteval.cli import main

    ref = tmp_path / "ref.en"
    ref.write_text("".join(f"the cat {i} sat on the mat .\n" for i in range(60)))
    good = tmp_path / "good.en"
    good.write_text("".join(f"the cat {i} sat on the mat .\n" for i in range(60)))
    bad = tmp_path / "bad.en"
    bad.write_text("".join(f"a dog {i} lay on a rug .\n" for i in range(60)))
    args = ["score", "--ref", str(ref), f"good={good}", f"bad={bad}", "-m", "bleu,ter", "--bootstrap", "200"]
    assert main([*args, "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["significance"] == {"bootstrap": 200, "ar": 0, "seed": 12345, "baseline": None, "alpha": 0.05}
    out = printed["systems"]
    assert out["good"]["bleu"]["score"] == pytest.approx(100) and out["good"]["ter"]["score"] == 0.0
    assert out["good"]["ter"]["baseline"] == "good" and out["bad"]["ter"]["cluster"] == 2
    assert out["bad"]["bleu"]["p_value"] < 0.01 and out["good"]["bleu"]["ci"] == pytest.approx([100, 100])
    assert main([*args, "--baseline", "nope"]) == 2
    assert "baseline 'nope' is not one of the systems: good, bad" in capsys.readouterr().err


def test_config_rejects_bad_significance_with_its_line(tmp_path, seed_dir):
    from mteval.config.load import load_config

    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"corpora:\n  - name: c\n    source: {seed_dir}/source.zh\n    references: [{seed_dir}/reference.en]\n"
                   f"systems:\n  - name: s\n    backend: file\n    path: {seed_dir}/reference.en\n"
                   "significance:\n  alpha: 2\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:9: significance: alpha must be between 0 and 1"):
        load_config(cfg)
    cfg.write_text(cfg.read_text().replace("alpha: 2", "bootstrap: 500\n  seed: 7"))
    assert load_config(cfg).data["significance"] == {"bootstrap": 500, "ar": 0, "seed": 7, "baseline": None,
                                                     "alpha": 0.05}
