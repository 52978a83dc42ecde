"""Fit the `reference` / `consensus` detectors' logistic weights on the development half of the MQM spans.

    .venv/bin/python benchmarks/fit_support.py [--gold ../shared/data/mqm-newstest2021-zhen/spans.tsv]

Development half = every other document (sorted by id; `mteval.flags.mqm.dev_split`). For each evidence mode it fits
P(error) on every word and P(major | error) on the error words (L2-regularised logistic regression, Newton's
method), picks the error threshold that maximises character F1 on the development half (severity by the model),
writes `eval/flags/support_weights.json` and prints the F1 of the support flags alone on dev / held-out / all,
with the shipped severity rule ("calibrated": minor unless 4+ translations back the flag) and with the model's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mteval.flags.base import Flag
from mteval.flags.mqm import _labels, dev_split, evaluate, load_gold, segments_for
from mteval.flags.support import FEATURES, WEIGHTS_FILE, _sigmoid, allow_major, spans, word_features

GOLD = Path(__file__).resolve().parent.parent.parent / "shared/data/mqm-newstest2021-zhen/spans.tsv"
EVIDENCE = {"reference": (True, False), "consensus": (False, True), "reference+consensus": (True, True)}


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 15) -> np.ndarray:
    w = np.zeros(x.shape[1])
    for _ in range(iters):
        p = _sigmoid(x @ w)
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gold", default=str(GOLD))
    parser.add_argument("--mode", action="append", choices=list(EVIDENCE), help="modes to fit (default: all)")
    args = parser.parse_args()
    rows = load_gold(args.gold)
    dev, held = dev_split(rows)
    table = {}
    for mode in args.mode or list(EVIDENCE):
        use_refs, use_others = EVIDENCE[mode]
        segs = segments_for(rows, mode)
        data = []
        for row, seg in zip(rows, segs):
            ws, x = word_features(seg, use_refs, use_others)
            shift = len(row.target) - len(row.target.lstrip())
            lab = _labels(len(row.target), row.spans)
            y = np.array([max(lab[s + shift:e + shift]) for s, e, _ in ws], dtype=float)
            data.append((ws, x, y, allow_major(seg, use_refs, use_others)))
        x_dev = np.vstack([data[i][1] for i in dev])
        y_dev = np.concatenate([data[i][2] for i in dev])
        w_err = fit_logistic(x_dev, (y_dev > 0).astype(float))
        w_major = fit_logistic(x_dev[y_dev > 0], (y_dev[y_dev > 0] == 2).astype(float))

        def flags_for(idx: list[int], threshold: float, calibrated: bool = True, data=data, w_err=w_err,
                      w_major=w_major) -> list[Flag]:
            out = []
            for n, i in enumerate(idx):
                ws, x, _, majors = data[i]
                if not ws:
                    continue
                p_err, p_major = _sigmoid(x @ w_err), _sigmoid(x @ w_major)
                for _, _, start, end, sev in spans(ws, p_err, p_major, threshold, majors or not calibrated):
                    out.append(Flag(n, start, end, sev, "", "", ""))
            return out

        best = max(np.arange(0.10, 0.40, 0.02),
                   key=lambda t: evaluate([rows[i] for i in dev], flags_for(dev, t, False))["char"]["f1"])
        table[mode] = {"error": [round(float(v), 4) for v in w_err], "major": [round(float(v), 4) for v in w_major],
                       "threshold": round(float(best), 2)}
        for name, idx in (("dev", dev), ("held-out", held), ("all", list(range(len(rows))))):
            for label, calibrated in (("calibrated", True), ("model severity", False)):
                r = evaluate([rows[i] for i in idx], flags_for(idx, best, calibrated))["char"]
                print(f"{mode:20s} {name:9s} {label:14s} P={r['precision']:.3f} R={r['recall']:.3f} "
                      f"F1={r['f1']:.3f}", file=sys.stderr)
    previous = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")) if WEIGHTS_FILE.is_file() else {}
    previous = previous["modes"] if previous.get("features") == list(FEATURES) else {}
    out = {"features": list(FEATURES), "fitted_on": "development half (every other document) of " + Path(args.gold).name,
           "modes": {**previous, **table}}
    WEIGHTS_FILE.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {WEIGHTS_FILE}")


if __name__ == "__main__":
    main()
