"""Fit the flag model on the development half of the MQM spans and write `eval/flags/flag_weights.json`.

    .venv/bin/python benchmarks/fit_flags.py [--gold ../shared/data/mqm-newstest2021-zhen/spans.tsv]

Development half = every other document, sorted by id (`eval.flags.mqm.dev_split`); nothing here reads the
held-out half (`bench_flags_quality.py` reports it). For each evidence mode of the `mistranslation` detector
(L2-regularised logistic regressions, Newton's method):
1. per word, P(error) and P(major | error) from the word features;
2. for each word threshold and bridging gap of a small grid: the candidate spans, their confidence model (the span
   overlaps an expert span) and severity model (an overlapping expert span is major), and the P(major | error)
   threshold at which the share of rows with a major flag (all default detectors) comes closest to the experts'
   share on dev;
3. the grid point with the best character F1 on dev, all default detectors together, among those whose share of
   rows with a major flag is within 10% of the experts' (else among all; reference-free: among those whose
   precision is at least 0.3).
4. the minimum confidence of a flag: the highest of `MIN_CONFIDENCE` whose dev F1 (all default detectors) is at
   least `1 - F1_TOLERANCE` of the F1 with no minimum (few flags, none an expert is more likely not to mark, when
   that costs no accuracy).
Then the confidence of each rule detector's kind and severity per evidence mode: the share of its flags an expert
span overlaps.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from mteval.flags import DEFAULT_DETECTORS, Flag, flag_segments, make_detectors, support
from mteval.flags.calibration import overlaps
from mteval.flags.mqm import dev_split, evaluate, load_gold, segments_for, word_labels

GOLD = Path(__file__).resolve().parent.parent.parent / "shared/data/mqm-newstest2021-zhen/spans.tsv"
RULES = [d for d in DEFAULT_DETECTORS if d != "mistranslation"]
# Without references or other systems, few right flags: the reference-free grid point maximises F1 among those
# whose precision (all detectors) is at least this.
MIN_PRECISION = 0.3
# Calibrated volume first: among the grid points whose share of rows with a major flag is within this fraction of the
# experts' share, the best F1 (else the best F1 of all).
VOLUME_TOLERANCE = 0.1
THRESHOLDS = {"reference-free": (0.16, 0.2, 0.24, 0.28, 0.32, 0.36, 0.4)}
DEFAULT_THRESHOLDS = (0.16, 0.2, 0.24, 0.28)
GAPS = (1, 3, 5)
MIN_CONFIDENCE = (0.0, 0.3, 0.4, 0.5)
F1_TOLERANCE = 0.01


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 15) -> np.ndarray:
    w = np.zeros(x.shape[1])
    for _ in range(iters):
        p = support._sigmoid(x @ w)
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def rule_confidence(rows, flags_by_mode: dict[str, list[Flag]]) -> dict[str, dict[str, float]]:
    """Per evidence mode (and `pooled` over the modes), per kind/severity: the share of flags an expert span
    overlaps. Pooled shares are Laplace-smoothed towards 0.5, a mode's towards the pooled share (weight 2), so a
    kind seen a few times does not claim certainty."""
    def hits(flags: list[Flag]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for f in flags:
            out.setdefault(f"{f.kind}/{f.severity}", []).append(float(overlaps(rows[f.segment], f)))
        return out

    pooled = {k: (sum(v) + 1) / (len(v) + 2) for k, v in hits([f for fs in flags_by_mode.values() for f in fs]).items()}
    table = {"pooled": {k: round(v, 3) for k, v in sorted(pooled.items())}}
    for mode, flags in flags_by_mode.items():
        table[mode] = {k: round((sum(v) + 2 * pooled[k]) / (len(v) + 2), 3) for k, v in sorted(hits(flags).items())}
    return table


def major_overlap(row, f: Flag) -> bool:
    shift = len(row.target) - len(row.target.lstrip())
    return any(s < f.end + shift and f.start + shift < e and v == "major" for s, e, v in row.spans)


def candidates(segs, data, mode, w):
    """Per segment, the learned detector's candidate spans under the weights and grid point in `w`."""
    return [support.candidates(seg, mode, w, ws, x) if ws else [] for seg, (ws, x) in zip(segs, data)]


def learned_flags(segs, data, cands, mode, w) -> list[Flag]:
    """The candidates `cands` as flags under the weights in `w` (confidence, severity, minimum confidence)."""
    return [f for seg, cs, (ws, _) in zip(segs, cands, data) for f in support.make_flags(seg, mode, w, cs, ws)]


def fit_point(rows, segs, data, mode, w, rule_flags, expert_major):
    """Confidence, severity and major-threshold weights for the word weights and grid point in `w`; dev F1."""
    cands = candidates(segs, data, mode, w)
    spans = [(n, c, Flag(n, ws[c.first][0], ws[c.last][1], "major", "mistranslation", "", ""))
             for n, (cs, (ws, _)) in enumerate(zip(cands, data)) for c in cs]
    feats = np.array([c.features for _, c, _ in spans])
    hit = np.array([overlaps(rows[n], f) for n, _, f in spans], float)
    w["confidence"] = fit_logistic(feats, hit, l2=1e-2)
    sev = np.column_stack([feats, [support._logit(c.p_major_word) for _, c, _ in spans]])
    major = np.array([major_overlap(rows[n], f) for n, _, f in spans], float)
    w["severity"] = fit_logistic(sev[hit > 0], major[hit > 0], l2=1e-2)
    rule_major = {f.segment for f in rule_flags if f.severity == "major"}

    def flags(tau: float) -> list[Flag]:
        w["major_threshold"] = tau
        return learned_flags(segs, data, cands, mode, w)

    def share(tau: float) -> float:
        return len(rule_major | {f.segment for f in flags(tau) if f.severity == "major"}) / len(rows)

    tau = min(np.arange(0.0, 1.0, 0.02), key=lambda t: (abs(share(t) - expert_major), t))
    w["major_threshold"] = float(tau)
    return evaluate(rows, flags(tau) + rule_flags)["char"], share(tau)


def min_confidence(rows, segs, data, mode, w, rule_flags, f1: float) -> float:
    """The highest `MIN_CONFIDENCE` whose dev F1 is within `F1_TOLERANCE` of `f1` (the F1 with no minimum)."""
    cands = candidates(segs, data, mode, w)
    best = 0.0
    for floor in MIN_CONFIDENCE:
        w["min_confidence"] = floor
        flags = learned_flags(segs, data, cands, mode, w)
        char = evaluate(rows, flags + rule_flags)["char"]
        print(f"  {mode} minimum confidence {floor:.1f}: F1={char['f1']:.3f}, {len(flags)} flags", file=sys.stderr)
        if char["f1"] >= (1 - F1_TOLERANCE) * f1:
            best = floor
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gold", default=str(GOLD))
    parser.add_argument("--mode", action="append", choices=support.MODES,
                        help="refit only these modes, keeping the others' weights (default: all)")
    args = parser.parse_args()
    all_rows = load_gold(args.gold)
    dev, _ = dev_split(all_rows)
    rows = [all_rows[i] for i in dev]
    expert_major = float(np.mean([any(s == "major" for _, _, s in r.spans) for r in rows]))
    rules = make_detectors(RULES)
    table, rule_flags_by_mode = {}, {}
    if args.mode:
        previous = json.loads(support.WEIGHTS_FILE.read_text(encoding="utf-8"))
        table = previous["modes"]
    for mode in args.mode or support.MODES:
        segs = segments_for(rows, mode)
        if mode == "consensus":  # pin the mode: dev rows always have 3+ other systems here
            assert all(support.mode_of(s) == mode for s in segs if s.others)
        data, ys = [], []
        for row, seg in zip(rows, segs):
            ws, x = support.word_features(seg, mode)
            data.append((ws, x))
            ys.append(np.array(word_labels(row, ws), dtype=float))
        x_all = np.vstack([x for ws, x in data if ws])
        y_all = np.concatenate([y for (ws, _), y in zip(data, ys) if ws])
        w_err = fit_logistic(x_all, (y_all > 0).astype(float))
        w_major = fit_logistic(x_all[y_all > 0], (y_all[y_all > 0] == 2).astype(float))
        rule_flags = flag_segments(segs, rules)
        rule_flags_by_mode[mode] = rule_flags
        floor = MIN_PRECISION if mode == "reference-free" else 0.0
        results = []
        for t in THRESHOLDS.get(mode, DEFAULT_THRESHOLDS):
            for gap in GAPS:
                w = {"error": w_err, "major": w_major, "threshold": t, "gap": gap, "min_confidence": 0.0}
                char, share = fit_point(rows, segs, data, mode, w, rule_flags, expert_major)
                results.append((char, share, w))
                print(f"  {mode} threshold {t:.2f} gap {gap}: P={char['precision']:.3f} R={char['recall']:.3f} "
                      f"F1={char['f1']:.3f}, rows with a major flag {share:.3f}", file=sys.stderr)
        feasible = [r for r in results if r[0]["precision"] >= floor]
        calibrated = [r for r in feasible if abs(r[1] - expert_major) <= VOLUME_TOLERANCE * expert_major]
        char, share, w = (max(calibrated or feasible, key=lambda r: r[0]["f1"]) if feasible
                          else max(results, key=lambda r: r[0]["precision"]))
        w["min_confidence"] = min_confidence(rows, segs, data, mode, w, rule_flags, char["f1"])
        table[mode] = {"threshold": w["threshold"], "gap": w["gap"], "major_threshold": round(w["major_threshold"], 2),
                       "min_confidence": w["min_confidence"],
                       **{k: [round(float(v), 4) for v in w[k]] for k in ("error", "major", "confidence", "severity")}}
        print(f"{mode:20s} dev: threshold {w['threshold']:.2f}, gap {w['gap']}, major threshold "
              f"{w['major_threshold']:.2f}, minimum confidence {w['min_confidence']:.1f} (rows with a major flag {share:.3f}, experts {expert_major:.3f}); "
              f"all default detectors P={char['precision']:.3f} R={char['recall']:.3f} F1={char['f1']:.3f}",
              file=sys.stderr)
    out = {"features": list(support.FEATURES), "span_features": list(support.SPAN_FEATURES),
           "fitted_on": "development half (every other document, sorted by id) of " + Path(args.gold).name,
           "modes": {m: table[m] for m in support.MODES},
           "rule_confidence": previous["rule_confidence"] if args.mode else rule_confidence(rows, rule_flags_by_mode)}
    support.WEIGHTS_FILE.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {support.WEIGHTS_FILE}")


if __name__ == "__main__":
    main()
