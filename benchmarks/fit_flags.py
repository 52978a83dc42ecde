"""Fit the flag model on the development half of the MQM spans and write `eval/flags/flag_weights.json`.

    .venv/bin/python benchmarks/fit_flags.py [--gold ../shared/data/mqm-newstest2021-zhen/spans.tsv]

Development half = every other document, sorted by id (`eval.flags.mqm.dev_split`); nothing here reads the
held-out half (`bench_flags_quality.py` reports it). For each evidence mode of the `mistranslation` detector:
P(error) on every word and P(major | error) on the error words (L2-regularised logistic regression, Newton's
method); the flag threshold that maximises character F1 on dev (reference-free: among those with precision ≥ 0.3; all
default detectors, support flags counted major where the raw P(error) ≥ 0.5); the P(major | error) threshold at which the share
of rows with a major flag (all default detectors) equals the experts' share on dev. Then the confidence of each
rule detector's kind and severity: the share of its flagged characters inside expert spans on dev.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from mteval.flags import DEFAULT_DETECTORS, Flag, flag_segments, make_detectors, support
from mteval.flags.calibration import overlaps
from mteval.flags.mqm import _labels, dev_split, evaluate, load_gold, segments_for

GOLD = Path(__file__).resolve().parent.parent.parent / "shared/data/mqm-newstest2021-zhen/spans.tsv"
RULES = [d for d in DEFAULT_DETECTORS if d != "mistranslation"]
# Without references or other systems, few right flags: the reference-free threshold maximises F1 among those
# whose precision (all detectors) is at least this.
MIN_PRECISION = 0.3

def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 15) -> np.ndarray:
    w = np.zeros(x.shape[1])
    for _ in range(iters):
        p = support._sigmoid(x @ w)
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def support_flags(data, w_err, w_major, threshold, major_threshold, platt=(1.0, 0.0)) -> list[Flag]:
    """Flags as the detector makes them; `confidence` is raw P(error) with the identity `platt`."""
    out = []
    for n, (ws, x, _, blocked) in enumerate(data):
        if not ws:
            continue
        p_err, p_major = support._sigmoid(x @ w_err), support._sigmoid(x @ w_major)
        for first, last in support.spans(ws, p_err, threshold, blocked=blocked):
            conf = support.span_confidence(float(p_err[first:last + 1].max()), platt)
            major = conf >= 0.5 and float(p_major[first:last + 1].mean()) > major_threshold
            out.append(Flag(n, ws[first][0], ws[last][1], "major" if major else "minor", "mistranslation", "", "",
                            {}, conf))
    return out

def rule_confidence(rows, flags) -> dict[str, float]:
    """Per kind/severity: the share of flags an expert span overlaps."""
    shares: dict[str, list[float]] = {}
    for f in flags:
        shares.setdefault(f"{f.kind}/{f.severity}", []).append(float(overlaps(rows[f.segment], f)))
    # Laplace-smoothed towards 0.5 so a kind seen a few times does not claim certainty.
    return {k: round((sum(v) + 1) / (len(v) + 2), 3) for k, v in sorted(shares.items())}

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gold", default=str(GOLD))
    args = parser.parse_args()
    all_rows = load_gold(args.gold)
    dev, _ = dev_split(all_rows)
    rows = [all_rows[i] for i in dev]
    expert_major = float(np.mean([any(s == "major" for _, _, s in r.spans) for r in rows]))
    rules = make_detectors(RULES)
    table, rule_flags = {}, []
    for mode in support.MODES:
        segs = segments_for(rows, mode)
        if mode == "consensus":  # pin the mode: dev rows always have 3+ other systems here
            assert all(support.mode_of(s) == mode for s in segs if s.others)
        data = []
        for row, seg in zip(rows, segs):
            ws, x = support.word_features(seg, mode)
            shift = len(row.target) - len(row.target.lstrip())
            lab = _labels(len(row.target), row.spans)
            y = np.array([max(lab[s + shift:e + shift]) for s, e, _ in ws], dtype=float)
            data.append((ws, x, y, support.contradicted(seg, mode, ws, x)))
        x_all = np.vstack([d[1] for d in data if len(d[0])])
        y_all = np.concatenate([d[2] for d in data if len(d[0])])
        w_err = fit_logistic(x_all, (y_all > 0).astype(float))
        w_major = fit_logistic(x_all[y_all > 0], (y_all[y_all > 0] == 2).astype(float))
        rf = flag_segments(segs, rules)
        scores = {t: evaluate(rows, support_flags(data, w_err, w_major, t, -1.0) + rf)["char"]
                  for t in np.arange(0.10, 0.80, 0.02)}
        floor = MIN_PRECISION if mode == "reference-free" else 0.0
        feasible = [t for t, c in scores.items() if c["precision"] >= floor]
        best = (max(feasible, key=lambda t: scores[t]["f1"]) if feasible
                else max(scores, key=lambda t: scores[t]["precision"]))
        raw = support_flags(data, w_err, w_major, best, 2.0)
        raw = [f for f in raw if f.confidence > 0]
        logit = np.array([np.log(max(f.confidence, 1e-6) / max(1 - f.confidence, 1e-6)) for f in raw])
        hit = np.array([overlaps(rows[f.segment], f) for f in raw], float)
        platt = fit_logistic(np.column_stack([logit, np.ones(len(raw))]), hit, l2=1e-3)
        rule_flags += rf
        rule_major = {f.segment for f in rf if f.severity == "major"}

        candidates = support_flags(data, w_err, w_major, best, -1.0, platt)  # major wherever confidence ≥ 0.5
        pm = {}
        for f in candidates:
            if f.severity == "major":
                ws, x = data[f.segment][0], data[f.segment][1]
                run = [k for k, w in enumerate(ws) if f.start <= w[0] < f.end]
                pm[f.segment] = max(pm.get(f.segment, 0.0), float(support._sigmoid(x[run] @ w_major).mean()))

        def share(tau: float, rule_major=rule_major, pm=pm) -> float:
            return len(rule_major | {seg for seg, p in pm.items() if p > tau}) / len(rows)

        taus = np.arange(0.0, 1.0, 0.01)
        tau = min(taus, key=lambda t: abs(share(t) - expert_major))
        table[mode] = {"error": [round(float(v), 4) for v in w_err], "major": [round(float(v), 4) for v in w_major],
                       "threshold": round(float(best), 2), "platt": [round(float(v), 4) for v in platt],
                       "major_threshold": round(float(tau), 2)}
        r = evaluate(rows, support_flags(data, w_err, w_major, best, tau, platt) + rf)["char"]
        print(f"{mode:20s} dev: threshold {best:.2f}, major threshold {tau:.2f} (rows with a major flag "
              f"{share(tau):.3f}, experts {expert_major:.3f}); all default detectors P={r['precision']:.3f} "
              f"R={r['recall']:.3f} F1={r['f1']:.3f}", file=sys.stderr)
    out = {"features": list(support.FEATURES),
           "fitted_on": "development half (every other document, sorted by id) of " + Path(args.gold).name,
           "modes": table, "rule_confidence": rule_confidence(rows, rule_flags)}
    support.WEIGHTS_FILE.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {support.WEIGHTS_FILE}")

if __name__ == "__main__":
    main()
