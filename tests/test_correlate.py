"""`mteval correlate` and the meta-evaluation statistics: WMT22 zh→en MQM reference figures, WMT22 DA, the
statistics against loop implementations of mt-metrics-eval's algorithms, human-score formats, `flags-mqm`."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import scipy.stats
import yaml
from mteval.api import run
from mteval.cli import main
from mteval.metrics import make_metrics, meta
from mteval.metrics.correlation import correlate
from mteval.metrics.flags_mqm import penalties
from mteval.metrics.human import read_human

from .test_leaderboard import make_run

SYSTEMS = ["AISP-SJTU", "DLUT", "HuaweiTSC", "JDExploreAcademy", "Lan-Bridge", "LanguageX", "NiuTrans", "Online-A",
           "Online-B", "Online-G", "Online-W", "Online-Y"]
MQM_RATED = ["AISP-SJTU", "HuaweiTSC", "JDExploreAcademy", "Lan-Bridge", "LanguageX", "Online-A", "Online-B",
             "Online-G", "Online-W", "Online-Y"]
MQM_EXTRA = ["M2M100_1.2B-B4", "bleu_bestmbr", "bleurt_bestmbr", "comet_bestmbr"]


@pytest.fixture(scope="module")
def da(tmp_path_factory):
    from .conftest import shared_path

    d = shared_path("wmt22-general-zhen", "humaneval-DA")
    return make_run(tmp_path_factory.mktemp("correlate"), "wmt22", SYSTEMS), d


@pytest.fixture(scope="module")
def mqm(tmp_path_factory):
    """A run of the 14 MQM-rated MT systems against reference A (BLEU, chrF), and the MQM folder."""
    from .conftest import SHARED

    d, m = SHARED / "wmt22-general-zhen", SHARED / "mqm-wmt22-zhen"
    if not m.is_dir():
        pytest.skip(f"shared evaluation data not found at {SHARED}")
    tmp = tmp_path_factory.mktemp("mqm")
    paths = {s: d / f"system-outputs/generaltest2022.zh-en.hyp.{s}.en" for s in MQM_RATED}
    paths.update({s: m / f"system-outputs-extra/generaltest2022.zh-en.hyp.{s}.en" for s in MQM_EXTRA})
    cfg = {"name": "mqm", "output": str(tmp / "run"), "report": False, "metrics": ["bleu", "chrf"],
           "significance": {"bootstrap": 0},
           "corpora": [{"name": "wmt22-zhen", "type": "files", "source": str(d / "sources/generaltest2022.zh-en.src.zh"),
                        "references": [str(d / "references/generaltest2022.zh-en.ref.A.en")],
                        "src_lang": "zh", "tgt_lang": "en"}],
           "systems": [{"name": s, "backend": "file", "path": str(p)} for s, p in paths.items()]}
    (tmp / "c.yaml").write_text(yaml.safe_dump(cfg))
    return run(tmp / "c.yaml", stages=["translate", "score"]).root, m


def _wmt_ranking(path) -> dict[str, float]:
    """z averages from the ranking file, read here independently: `raw z N N.all id name`."""
    return {cols[5]: float(cols[1]) for cols in (line.split() for line in path.read_text().splitlines())}


def _matrices(run_dir, human_tsv, metric):
    """Sentence scores and MQM scores of the 14 systems, read independently of the package."""
    systems = sorted(MQM_RATED + MQM_EXTRA)
    m = np.zeros((14, 1875))
    for line in (run_dir / "segments.jsonl").read_text().splitlines():
        row = json.loads(line)
        m[systems.index(row["system"]), row["segment"]] = row["scores"][metric]
    h = np.full((14, 1875), np.nan)
    for line in human_tsv.read_text().splitlines()[1:]:
        system, seg, _, score = line.split("\t")
        if system in systems:
            h[systems.index(system), int(seg) - 1] = float(score)
    return h, m


# --- WMT22 zh→en MQM: the reference figures ------------------------------------------------------------------

def test_mqm_reference_figures(mqm, capsys):
    run_dir, m = mqm
    tsv = m / "segment-scores.tsv"
    seg = correlate(run_dir, tsv, "segment", exclude_refs=True)
    sys_ = correlate(run_dir, tsv, "system", exclude_refs=True)
    assert seg.systems == sys_.systems == sorted(MQM_RATED + MQM_EXTRA) and seg.excluded == ["refA", "refB"]
    assert seg.segments == 1875
    figures = {"bleu": (0.145, 0.121, 0.594, 0.615), "chrf": (0.147, 0.156, 0.630, 0.648)}
    for metric, (flat, item, pearson, accuracy) in figures.items():
        assert round(seg.values[metric]["kendall"], 3) == flat
        assert round(seg.values[metric]["kendall_item"], 3) == item
        assert round(sys_.values[metric]["pearson"], 3) == pearson
        assert round(sys_.values[metric]["pairwise_accuracy"], 3) == accuracy
        # the same statistics by scipy on the run's files read independently
        h, x = _matrices(run_dir, tsv, metric)
        assert seg.values[metric]["kendall"] == pytest.approx(scipy.stats.kendalltau(h.ravel(), x.ravel())[0])
        per_item = [scipy.stats.kendalltau(h[:, j], x[:, j])[0] for j in range(1875)]
        assert seg.values[metric]["kendall_item"] == pytest.approx(np.nanmean(per_item), abs=1e-12)
        assert seg.values[metric]["pearson"] == pytest.approx(scipy.stats.pearsonr(h.ravel(), x.ravel())[0])
    # the human references rated as systems are kept unless --exclude-refs
    assert main(["correlate", str(run_dir), "--human", str(tsv), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["unmatched"] == ["refA", "refB"] and len(out["systems"]) == 14


def test_mqm_agreement_table_with_cis_and_paired_tests(mqm, capsys, tmp_path):
    run_dir, m = mqm
    args = ["correlate", str(run_dir), "--human", str(m / "segment-scores.tsv"), "--exclude-refs", "--level",
            "segment", "--bootstrap", "200", "--versus", "bleu", "--permutations", "200"]
    assert main(args + ["--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for metric in ("bleu", "chrf"):
        for stat, (lo, hi) in out["ci"][metric].items():
            assert lo < out["metrics"][metric][stat] < hi, (metric, stat)
    # chrF's item-grouped Kendall (0.156 vs 0.121) is significantly better than BLEU's; no-grouping (0.147 vs
    # 0.145) is not
    assert out["p_values"]["chrf"]["kendall_item"] < 0.01
    assert out["p_values"]["chrf"]["kendall"] > 0.05
    assert "bleu" not in out["p_values"]
    assert main(args + ["--plot", str(tmp_path / "plot.png")]) == 0
    table = capsys.readouterr().out
    assert "| chrf | 0.147 [" in table and "acc-eq tie thresholds: bleu" in table
    assert (tmp_path / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_mt_metrics_eval_score_files_read_like_the_table(mqm, tmp_path):
    run_dir, m = mqm
    rows = [line.split("\t") for line in (m / "segment-scores.tsv").read_text().splitlines()[1:]]
    (tmp_path / "zh-en.mqm.seg.score").write_text("".join(f"{s}\t{v if int(i) % 7 else 'None'}\n"
                                                          for s, i, _, v in rows))
    seg = read_human(tmp_path / "zh-en.mqm.seg.score")
    assert seg.kind == "mqm" and len(seg.segment) == 30000 - 16 * (1875 // 7)
    assert seg.segment[("Online-W", 1)] == (float(rows[[r[0] for r in rows].index("Online-W") + 1][3]),) * 2
    system_scores = {s: float(v) for s, v, _ in (line.split("\t") for line in
                                                 (m / "system-scores.tsv").read_text().splitlines()[1:])}
    (tmp_path / "zh-en.mqm.sys.score").write_text("".join(f"{s}\t{v}\n" for s, v in system_scores.items()))
    a = correlate(run_dir, tmp_path / "zh-en.mqm.sys.score", exclude_refs=True)
    b = correlate(run_dir, m / "segment-scores.tsv", exclude_refs=True)
    assert a.values["chrf"]["pearson"] == pytest.approx(b.values["chrf"]["pearson"], abs=1e-6)  # rounded file


# --- the statistics against loop implementations ---------------------------------------------------------------

def _acc_eq_loops(h, m):
    """mt-metrics-eval's tau_optimization (acc23, items as rows, every pair) as plain loops: returns (acc, ε)."""
    pairs, rows = [], {}
    for j in range(h.shape[1]):
        for a, b in itertools.combinations(range(h.shape[0]), 2):
            if np.isnan(h[a, j]) or np.isnan(h[b, j]):
                continue
            dh, dm = h[a, j] - h[b, j], m[a, j] - m[b, j]
            right = (dh == 0 and dm == 0) or (dh * dm > 0)
            pairs.append((abs(dm), j, int(right), int(dh == 0)))
            rows.setdefault(j, [0, 0])
            rows[j][0] += right
            rows[j][1] += 1
    total = sum(c / n for c, n in rows.values())
    thresholds, values = [0.0], [total / len(rows)]
    for diff, j, right, tie in sorted(pairs, key=lambda p: p[0]):
        total -= rows[j][0] / rows[j][1]
        rows[j][0] += tie - right
        total += rows[j][0] / rows[j][1]
        if thresholds[-1] == diff:
            values[-1] = total / len(rows)
        else:
            thresholds.append(diff)
            values.append(total / len(rows))
    best = int(np.argmax(values))
    return values[best], thresholds[best]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_acc_eq_and_item_kendall_equal_loop_implementations(seed):
    rng = np.random.default_rng(seed)
    h = rng.integers(-3, 1, size=(6, 40)).astype(float)  # MQM-like: many ties
    h[rng.random(h.shape) < 0.1] = np.nan
    m = np.round(h + rng.normal(0, 1.5, size=h.shape), 1)
    m[np.isnan(m)] = 0.0
    acc, eps = _acc_eq_loops(h, m)
    got = meta.acc_eq(h, m)
    assert got.accuracy == pytest.approx(acc, abs=1e-12) and got.epsilon == eps
    assert np.nanmean(got.per_item()) == pytest.approx(acc, abs=1e-12)
    assert meta.acc_eq(h, m, epsilon=0.0).accuracy <= acc
    taus = [scipy.stats.kendalltau(h[~np.isnan(h[:, j]), j], m[~np.isnan(h[:, j]), j])[0] for j in range(40)]
    np.testing.assert_allclose(meta.kendall_items(h, m), taus, atol=1e-12)
    x, y = rng.normal(size=9), rng.normal(size=9)
    assert meta.spearman(x, np.round(y, 0)) == pytest.approx(scipy.stats.spearmanr(x, np.round(y, 0))[0])
    assert meta.kendall_tau_b(x, np.round(y)) == pytest.approx(scipy.stats.kendalltau(x, np.round(y))[0])


def test_permutation_p_values_and_spa():
    rng = np.random.default_rng(3)
    seg = rng.normal(size=(4, 300)) + np.array([[0.0], [0.05], [0.3], [1.0]])
    stats = np.stack([seg, np.ones_like(seg)], axis=-1)
    p = meta.permutation_p_values(stats, lambda t: t[..., 0] / t[..., 1], permutations=500)
    mask = np.random.default_rng(4).random((500, 300)) < 0.5
    for a, b in itertools.combinations(range(4), 2):  # one pair by plain loops over permutations
        observed = seg[a].mean() - seg[b].mean()
        null = [np.where(row, seg[b], seg[a]).mean() - np.where(row, seg[a], seg[b]).mean() for row in mask]
        assert p[a, b] == pytest.approx(np.mean(np.array(null) >= observed - 1e-12))
    assert p[2, 3] == 1.0 and p[0, 3] == 1.0  # system 3 is clearly better: "a better than b" never holds
    assert meta.soft_pairwise_accuracy(p, p) == 1.0
    assert meta.soft_pairwise_accuracy(p, 1 - p) < 0.5


def test_paired_tests_detect_a_better_metric_and_not_a_copy():
    rng = np.random.default_rng(5)
    h = rng.normal(size=(5, 300))
    good, bad = h + rng.normal(0, 0.5, h.shape), h + rng.normal(0, 3, h.shape)

    def stat(x):
        return np.nanmean(meta.kendall_items(h, x), axis=-1)

    assert meta.perm_both(stat, bad, good, 200)[0] < 0.01
    assert meta.perm_both(stat, good, bad, 200)[0] > 0.99
    assert meta.perm_both(stat, good, good.copy(), 200)[0] == 1.0  # delta 0: every permutation reaches it
    a, b = meta.acc_eq(h, bad), meta.acc_eq(h, good)
    assert meta.perm_pairs(a.credit, b.credit, 200)[0] < 0.01


# --- WMT22 DA ---------------------------------------------------------------------------------------------------

def test_system_level_against_wmt22_da_ranking(da, capsys):
    run, d = da
    path = d / "ad-sys-ranking-zh-en-z-names.csv"
    assert main(["correlate", str(run), "--human", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["systems"] == SYSTEMS and out["unmatched"] == ["HUMAN-B"]
    human = _wmt_ranking(path)
    scores = json.loads((run / "scores.json").read_text())["wmt22-zhen"]
    for metric in ("bleu", "chrf"):
        m = [scores[s][metric]["score"] for s in SYSTEMS]
        h = [human[s] for s in SYSTEMS]
        got = out["metrics"][metric]
        assert got["pearson"] == pytest.approx(scipy.stats.pearsonr(m, h)[0], abs=1e-12)
        assert got["spearman"] == pytest.approx(scipy.stats.spearmanr(m, h)[0], abs=1e-12)
        assert got["kendall"] == pytest.approx(scipy.stats.kendalltau(m, h)[0], abs=1e-12)
        pairs = list(itertools.combinations(range(12), 2))
        agree = sum(np.sign(m[a] - m[b]) == np.sign(h[a] - h[b]) for a, b in pairs)
        assert got["pairwise_accuracy"] == pytest.approx(agree / len(pairs))
        assert got["spa"] is None  # a system-level file has no segment scores to test pairs with
    # BLEU ranks these 12 systems more like the humans than chance, but far from perfectly
    assert 0.3 < out["metrics"]["bleu"]["kendall"] < 0.8


def test_segment_file_reproduces_wmt_system_z_scores(da):
    _, d = da
    human = read_human(d / "ad-seg-scores-zh-en.csv")
    assert len(human.segment) == 20820 and min(k[1] for k in human.segment) == 0
    ranking = _wmt_ranking(d / "ad-sys-ranking-zh-en-z-names.csv")
    for system, z in human.system_level().items():
        assert round(z, 3) == pytest.approx(ranking[system], abs=0.0015), system


def _darr_loops(run, path, order):
    sentence = {}
    for line in (run / "segments.jsonl").read_text().splitlines():
        row = json.loads(line)
        sentence[(row["system"], row["segment"])] = row["scores"]["chrf"]
    raw: dict[int, list[tuple[float, float]]] = {}
    for cols in (line.split() for line in path.read_text().splitlines()[1:]):
        key = (cols[0].rsplit(".", 1)[0], order[int(cols[1]) - 1])
        if key in sentence:
            raw.setdefault(key[1], []).append((float(cols[2]), sentence[key]))
    conc = disc = 0
    for items in raw.values():
        for (ha, ma), (hb, mb) in itertools.combinations(items, 2):
            if abs(ha - hb) > 25:
                if (ha > hb and ma > mb) or (ha < hb and ma < mb):
                    conc += 1
                else:
                    disc += 1
    return (conc - disc) / (conc + disc)


def test_segment_level_darr_and_the_wmt22_segment_order(da, capsys):
    """WMT22 DA segment ids count segments in document-id order, not txt lines: mapped through the documents
    file, DARR Kendall of chrF turns from negative to positive."""
    from .conftest import SHARED

    run, d = da
    path = d / "ad-seg-scores-zh-en.csv"
    docs = SHARED / "mqm-wmt22-zhen" / "documents.tsv"
    assert main(["correlate", str(run), "--human", str(path), "--level", "segment", "--format", "json"]) == 0
    lines = json.loads(capsys.readouterr().out)["metrics"]["chrf"]
    as_lines = lines["kendall_darr"]
    assert as_lines == pytest.approx(_darr_loops(run, path, list(range(1875))))
    assert main(["correlate", str(run), "--human", str(path), "--level", "segment", "--documents", str(docs),
                 "--format", "json"]) == 0
    by_document = json.loads(capsys.readouterr().out)["metrics"]["chrf"]
    names = [line.split("\t")[1] for line in docs.read_text().splitlines()]
    order = sorted(range(1875), key=lambda i: names[i])
    assert by_document["kendall_darr"] == pytest.approx(_darr_loops(run, path, order))
    assert as_lines < 0 and by_document["kendall_darr"] > 0.05
    # DA z against chrF over all judged segments: 0.018 as lines, 0.176 in document order
    assert lines["kendall"] < 0.03 and by_document["kendall"] > 0.15


def test_tsv_and_bad_files(da, tmp_path, capsys):
    run, _ = da
    tsv = tmp_path / "human.tsv"
    tsv.write_text("system\tscore\n" + "".join(f"{s}\t{i}\n" for i, s in enumerate(SYSTEMS)))
    assert main(["correlate", str(run), "--human", str(tsv), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["systems"]) == 12
    bad = tmp_path / "bad.txt"
    bad.write_text("hello world\n")
    assert main(["correlate", str(run), "--human", str(bad)]) == 2
    assert "bad.txt:1: unrecognised human-score format" in capsys.readouterr().err
    assert main(["correlate", str(run), "--human", str(tsv), "--level", "segment"]) == 2
    assert "no segment-level scores" in capsys.readouterr().err
    seg = tmp_path / "x.seg.score"
    seg.write_text("Online-A\t-1\nOnline-A\tbad\n")
    assert main(["correlate", str(run), "--human", str(seg)]) == 2
    assert "x.seg.score:2: expected a number, got 'bad'" in capsys.readouterr().err


# --- flags-mqm ----------------------------------------------------------------------------------------------------

SRC = ["普京13日同拜登通电话。", "美国总统拜登周二访问了柏林。"]
REF = [["Putin spoke with Biden on the phone on the 13th.", "US President Biden visited Berlin on Tuesday."]]
HYPS = {"a": ["Putin spoke with Biden on the 14th.", "US President Biden visited Berlin on Tuesday."],
        "b": ["Putin spoke with Biden by phone on the 13th.", "US President Biden visited Paris on Tuesday."],
        "c": ["Putin talked with Biden on the phone on the 13th.", "President Biden of the US visited Berlin on Tuesday."],
        "d": ["On the 13th Putin phoned Biden.", "Biden, the US president, visited Berlin on Tuesday."]}


def _flag_penalties(system: str, others: dict | None) -> list[float]:
    """−Σ severity weight × confidence per segment, from the flags of the default detectors with every candidate of
    the learned one (no minimum confidence)."""
    from mteval.flags import build_segments, flag_segments, make_detectors

    out = [0.0] * len(SRC)
    segments = build_segments(SRC, HYPS[system], REF, others)
    for f in flag_segments(segments, make_detectors(None, {"min_confidence": 0.0})):
        out[f.segment] -= {"major": 5, "minor": 1}[f.severity] * f.confidence
    return out


def test_flags_mqm_weights_flags_by_severity_and_evidence():
    import mteval

    ref_only = make_metrics([{"name": "flags-mqm", "evidence": "reference"}], "en")[0]
    with_systems = make_metrics(["flags-mqm"], "en")[0]  # default evidence: reference + other systems
    by_ref = ref_only.stats_systems(HYPS, REF, SRC)
    by_sys = with_systems.stats_systems(HYPS, REF, SRC)
    for k in HYPS:
        others = {o: h for o, h in HYPS.items() if o != k}
        assert by_ref[k][:, 0] == pytest.approx(_flag_penalties(k, None), abs=0.01), k
        assert by_sys[k][:, 0] == pytest.approx(_flag_penalties(k, others), abs=0.01), k
    # a: the wrong day is a major `number` flag; d and a's second segment are clean
    assert by_ref["a"][0, 0] < -5 * 0.5 and by_ref["a"][1, 0] == 0 and by_ref["d"][:, 0].tolist() == [0.0, 0.0]
    # "Paris" for 柏林 is penalised; the other systems' "Berlin" makes the mistranslation more certain
    assert by_sys["b"][1, 0] < by_ref["b"][1, 0] < -1
    assert with_systems.corpus_score(by_sys["b"]) == pytest.approx(by_sys["b"][:, 0].mean())
    assert with_systems.num_refs == 1 and "evidence:systems" in with_systems.signature()
    scores = mteval.score(HYPS, REF, metrics=["flags-mqm"], sources=SRC)
    assert {s: by["flags-mqm"]["score"] for s, by in scores.items()} == pytest.approx(
        {k: float(v[:, 0].mean()) for k, v in by_sys.items()})


def test_flags_mqm_uses_confidence_and_checks_its_options():
    from mteval.errors import ConfigError, MetricError
    from mteval.flags import Flag

    flags = [Flag(0, 0, 3, "major", "number", "", "abc", {}), Flag(1, 0, 3, "minor", "x", "", "abc", {}),
             Flag(1, 0, 3, "major", "x", "", "abc", {})]
    flags[2].confidence = 0.5
    assert penalties(flags, 3).tolist() == [-5.0, -3.5, 0.0]
    with pytest.raises(ConfigError, match="flags-mqm.evidence: 'nope' is not one of reference, systems"):
        make_metrics([{"name": "flags-mqm", "evidence": "nope"}], "en")
    with pytest.raises(ConfigError, match=r"flags-mqm.weights: unknown key \(known keys here: detectors, evidence"):
        make_metrics([{"name": "flags-mqm", "weights": 1}], "en")
    with pytest.raises(MetricError, match="needs the source segments"):
        make_metrics(["flags-mqm"], "en")[0].stats(HYPS["a"], REF)


def test_wmt22_mqm_config_has_the_14_rated_mt_systems(shared, monkeypatch):
    from mteval.config import load_config

    from .conftest import ROOT

    monkeypatch.chdir(ROOT)
    config = load_config(ROOT / "configs" / "wmt22-mqm-zhen.yaml")
    names = set(config.data["corpora"][0]["systems"]) | {s["name"] for s in config.data["systems"]}
    rated = {line.split("\t")[0] for line in (shared / "mqm-wmt22-zhen" / "segment-scores.tsv").read_text().splitlines()[1:]}
    assert names == rated - {"refA", "refB"} and len(names) == 14
    assert config.metrics == ["bleu", "chrf", "flags-mqm"]
