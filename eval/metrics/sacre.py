"""BLEU, chrF, chrF++ and TER through sacreBLEU, with the tokenizer chosen by target language."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

import numpy as np
from sacrebleu.metrics import BLEU, CHRF, TER

from ..errors import MetricError
from ..lang import base_lang
from .base import METRICS, Metric

CJK = frozenset({"zh", "yue", "ja", "ko"})


def bleu_tokenizer(tgt_lang: str) -> str:
    """sacreBLEU tokenizer for a target language: zh (also Cantonese), ja-/ko-mecab when installed, else char;
    13a for everything else."""
    lang = base_lang(tgt_lang)
    if lang in ("zh", "yue"):
        return "zh"
    if lang in ("ja", "ko"):
        module = "MeCab" if lang == "ja" else "mecab_ko"
        return f"{lang}-mecab" if importlib.util.find_spec(module) else "char"
    return "13a"


class SacreMetric(Metric):
    """A sacreBLEU metric object `self.sb`; `self.sentence_sb` scores single segments."""

    sb: BLEU | CHRF | TER
    sentence_sb: BLEU | CHRF | TER

    def signature(self) -> str:
        """sacreBLEU's signature, with `nrefs` from `num_refs` (statistics may be computed elsewhere, e.g. in
        worker processes, so sacreBLEU's own object has not necessarily seen the references)."""
        if self.num_refs is None:
            raise MetricError(f"{self.name}: the signature needs the number of references; compute statistics first")
        return self.sb._SIGNATURE_TYPE({**vars(self.sb), "num_refs": self.num_refs}).format()

    def stats(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]],
              sources: Sequence[str] | None = None) -> np.ndarray:
        self.num_refs = len(references)
        rows = self.sb._extract_corpus_statistics(list(hypotheses), [list(r) for r in references])
        return np.asarray(rows, dtype=np.float64).reshape(len(hypotheses), -1)

    def _as_stats(self, values: np.ndarray) -> list:
        """Statistics in the form sacreBLEU sums them: integer counts (BLEU, chrF)."""
        return [int(v) for v in np.rint(values)]

    def score_from_totals(self, totals: np.ndarray) -> float:
        return float(self.sb._compute_score_from_stats(self._as_stats(totals)).score)

    def sentence_score_from_stats(self, row: np.ndarray) -> float:
        return float(self.sentence_sb._compute_score_from_stats(self._as_stats(row)).score)


@METRICS.register("bleu")
class Bleu(SacreMetric):
    """BLEU (sacreBLEU defaults; sentence scores use effective order, as `sentence_bleu`)."""

    name = "bleu"

    def __init__(self, tgt_lang: str) -> None:
        super().__init__(tgt_lang)
        tok = bleu_tokenizer(tgt_lang)
        self.sb = BLEU(tokenize=tok)
        self.sentence_sb = BLEU(tokenize=tok, effective_order=True)


@METRICS.register("chrf")
class Chrf(SacreMetric):
    """chrF2 on character 6-grams."""

    name = "chrf"
    word_order = 0

    def __init__(self, tgt_lang: str) -> None:
        super().__init__(tgt_lang)
        self.sb = self.sentence_sb = CHRF(word_order=self.word_order)


@METRICS.register("chrf++")
class ChrfPlusPlus(Chrf):
    """chrF++: chrF2 plus word uni- and bigrams."""

    name = "chrf++"
    word_order = 2


@METRICS.register("ter")
class Ter(SacreMetric):
    """TER (lower is better); CJK targets use asian_support and normalisation."""

    name = "ter"
    higher_is_better = False

    def __init__(self, tgt_lang: str) -> None:
        super().__init__(tgt_lang)
        cjk = base_lang(tgt_lang) in CJK
        self.sb = self.sentence_sb = TER(asian_support=cjk, normalized=cjk)

    def _as_stats(self, values: np.ndarray) -> list:
        """[edits, average reference length]: the length is fractional with several references."""
        return [float(v) for v in values]
