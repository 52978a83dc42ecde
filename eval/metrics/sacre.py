"""BLEU, chrF, chrF++ and TER through sacreBLEU, with the tokenizer chosen by target language."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

import numpy as np
from sacrebleu.metrics import BLEU, CHRF, TER

from .base import METRICS, Metric

CJK = frozenset({"zh", "ja", "ko"})


def bleu_tokenizer(tgt_lang: str) -> str:
    """sacreBLEU tokenizer for a target language: zh, ja-mecab/ko-mecab when installed, char, else 13a."""
    if tgt_lang == "zh":
        return "zh"
    if tgt_lang in ("ja", "ko"):
        module = "MeCab" if tgt_lang == "ja" else "mecab_ko"
        return f"{tgt_lang}-mecab" if importlib.util.find_spec(module) else "char"
    return "13a"


class SacreMetric(Metric):
    """A sacreBLEU metric object `self.sb`; `self.sentence_sb` scores single segments."""

    sb: BLEU | CHRF | TER
    sentence_sb: BLEU | CHRF | TER

    def signature(self) -> str:
        return f"{self.sb.get_signature().format()}"

    def stats(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> np.ndarray:
        rows = self.sb._extract_corpus_statistics(list(hypotheses), [list(r) for r in references])
        return np.asarray(rows, dtype=np.float64).reshape(len(hypotheses), -1)

    def score_from_totals(self, totals: np.ndarray) -> float:
        return float(self.sb._compute_score_from_stats(_as_ints(totals)).score)

    def sentence_score_from_stats(self, row: np.ndarray) -> float:
        return float(self.sentence_sb._compute_score_from_stats(_as_ints(row)).score)


def _as_ints(values: np.ndarray) -> list[int]:
    return [int(v) for v in np.rint(values)]


@METRICS.register("bleu")
class Bleu(SacreMetric):
    """BLEU (sacreBLEU defaults; sentence scores use effective order, as `sentence_bleu`)."""

    name = "bleu"

    def __init__(self, tgt_lang: str) -> None:
        super().__init__(tgt_lang)
        tok = bleu_tokenizer(tgt_lang)
        self.sb = BLEU(tokenize=tok, trg_lang=tgt_lang)
        self.sentence_sb = BLEU(tokenize=tok, trg_lang=tgt_lang, effective_order=True)


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
        cjk = tgt_lang in CJK
        self.sb = self.sentence_sb = TER(asian_support=cjk, normalized=cjk)
