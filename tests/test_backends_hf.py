"""hf-seq2seq and hf-causal backends on tiny random models loaded through the real `from_pretrained` path:
their outputs equal a direct `generate()` call; unavailable models fail fast and clearly."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from mteval.config.schema import Located, validate
from mteval.corpus.base import Corpus
from mteval.errors import BackendError, ConfigError
from mteval.systems import BACKENDS
from mteval.systems.hf_seq2seq import HFSeq2SeqBackend

from tests.tiny_models import save_tiny

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

SOURCES = ["俄美总统通电话讨论两国关系。", "双方讨论了国际热点问题。", "新华社北京电。", "今天天气很好。",
           "双方讨论了国际热点问题。今天天气很好。"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("tiny")
    return lambda kind: save_tiny(kind, root / kind) if not (root / kind).is_dir() else root / kind


def make(backend: str, **spec) -> object:
    from mteval.config.load import SYSTEM_OPTIONS

    cls = BACKENDS.get(backend)
    values = validate({"name": "sys", "backend": backend, **spec}, SYSTEM_OPTIONS + cls.options, Located("t.yaml"), ())
    cls.prepare(values, Located("t.yaml"), ())
    return cls(values)


def corpus(sources: list[str] = SOURCES) -> Corpus:
    return Corpus("c", "zh", "en", list(sources), [])


def direct_seq2seq(path: Path, sources: list[str], prefix: str = "", **kwargs) -> list[str]:
    tok = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.AutoModelForSeq2SeqLM.from_pretrained(path).eval()
    out = []
    for s in sources:
        enc = tok(prefix + s, return_tensors="pt")
        with torch.inference_mode():
            ids = model.generate(**enc, do_sample=False, num_beams=1, max_new_tokens=12, **kwargs)
        out.append(tok.decode(ids[0], skip_special_tokens=True).strip())
    return out


@pytest.mark.parametrize("batch_size", [1, 3])
def test_marian_equals_direct_generate(tiny, batch_size: int) -> None:
    path = tiny("marian")
    backend = make("hf-seq2seq", model=str(path), batch_size=batch_size, device="cpu",
                   generation={"max_new_tokens": 12})
    got = backend.translate(corpus())
    assert backend.family == "marian"
    assert got == direct_seq2seq(path, SOURCES)
    assert any(got), "a random model that only emits EOS would make this test vacuous"


def test_m2m100_forces_target_language_token(tiny) -> None:
    path = tiny("m2m100")
    backend = make("hf-seq2seq", model=str(path), batch_size=2, device="cpu", generation={"max_new_tokens": 12})
    got = backend.translate(corpus())
    assert backend.family == "m2m100"
    en = transformers.AutoTokenizer.from_pretrained(path).convert_tokens_to_ids("__en__")
    assert got == direct_seq2seq(path, SOURCES, forced_bos_token_id=en)
    assert backend.generation_kwargs("zh", "en")["forced_bos_token_id"] == en


def test_t5_madlad_style_target_prefix(tiny) -> None:
    path = tiny("t5")
    backend = make("hf-seq2seq", model=str(path), batch_size=2, device="cpu", generation={"max_new_tokens": 12})
    got = backend.translate(corpus())
    assert backend.family == "t5" and backend.source_prefix("en") == "<2en> "
    assert got == direct_seq2seq(path, SOURCES, prefix="<2en> ")


@pytest.mark.parametrize("batch_size", [1, 3])
def test_llama_few_shot_prompt_equals_direct_generate(tiny, batch_size: int) -> None:
    path = tiny("llama")
    examples = [{"source": "今天天气很好。", "target": "The weather is nice today."}]
    backend = make("hf-causal", model=str(path), batch_size=batch_size, device="cpu",
                   prompt={"examples": examples, "stop": ["."]}, generation={"max_new_tokens": 10})
    got = backend.translate(corpus())
    tok = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.AutoModelForCausalLM.from_pretrained(path).eval()
    want = []
    for s in SOURCES:
        prompt = f"Chinese: 今天天气很好。\nEnglish: The weather is nice today.\n\nChinese: {s}\nEnglish:"
        assert backend.prompt("zh", "en").text(s) == prompt
        enc = tok(prompt, return_tensors="pt")
        with torch.inference_mode():
            ids = model.generate(**enc, do_sample=False, max_new_tokens=10, pad_token_id=0)
        text = tok.decode(ids[0, enc["input_ids"].shape[1]:], skip_special_tokens=True).lstrip(" \t")
        want.append(text.split(".")[0].strip())
    assert got == want
    assert any(got)


def test_identity_is_stable_and_tracks_parameters(tiny) -> None:
    path = tiny("marian")
    a = make("hf-seq2seq", model=str(path), generation={"num_beams": 2})
    b = make("hf-seq2seq", model=str(path), generation={"num_beams": 2}, batch_size=7)
    c = make("hf-seq2seq", model=str(path), generation={"num_beams": 3})
    assert a.identity() == b.identity()  # batch size does not change what is translated
    assert a.identity() != c.identity()
    assert len(a.identity()["weights_sha256"]) == 64
    assert a.model_loads == 0  # identity never loads the model


def test_offline_hub_id_fails_fast_and_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_CACHE", str(tmp_path))
    backend = make("hf-seq2seq", model="Helsinki-NLP/opus-mt-zh-en")
    started = time.perf_counter()
    with pytest.raises(BackendError, match="not in the local Hugging Face cache .* hub is unreachable"):
        backend.check_corpus(corpus())
    assert time.perf_counter() - started < 1.0


def test_unreachable_hub_fails_fast_without_offline_flag(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: connection refused
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_CACHE", str(tmp_path))
    backend = make("hf-causal", model="google/gemma-3-270m")
    started = time.perf_counter()
    with pytest.raises(BackendError, match="hub is unreachable"):
        backend.check_corpus(corpus())
    assert time.perf_counter() - started < 1.0


def test_unknown_models_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="no config.json"):
        make("hf-seq2seq", model=str(tmp_path)).check_corpus(corpus())
    with pytest.raises(BackendError, match="not a model directory"):
        make("hf-seq2seq", model="./no/such/dir/x").check_corpus(corpus())
    with pytest.raises(BackendError, match="package 'no_such_model_pkg' is not installed"):
        make("hf-causal", model="package:no_such_model_pkg").check_corpus(corpus())


def test_config_errors_point_at_the_key() -> None:
    with pytest.raises(ConfigError, match=r"prompt\.stops: unknown prompt key"):
        make("hf-causal", model="x", prompt={"stops": ["\n"]})
    with pytest.raises(ConfigError, match=r"batch_size: must be at least 1"):
        make("hf-seq2seq", model="x", batch_size=0)
    with pytest.raises(ConfigError, match=r"device: 'gpu' is not one of"):
        make("hf-seq2seq", model="x", device="gpu")


def test_nllb_codes_need_a_known_language() -> None:
    backend = make("hf-seq2seq", model="x")
    assert isinstance(backend, HFSeq2SeqBackend)
    backend.family = "nllb"
    assert backend._code("zh", "src") == "zho_Hans"
    with pytest.raises(BackendError, match="set src_code"):
        backend._code("xx", "src")


def test_hub_id_in_the_local_cache_loads_offline_with_its_commit(tiny, monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    """A hub id found in the local HF cache (hub layout: refs/main → snapshots/<commit>) loads offline."""
    import shutil

    import huggingface_hub.constants as c

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "models--tiny-org--tiny-marian"
    shutil.copytree(tiny("marian"), repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(c, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(c, "HF_HUB_OFFLINE", True)
    backend = make("hf-seq2seq", model="tiny-org/tiny-marian", device="cpu", generation={"max_new_tokens": 12})
    backend.check_corpus(corpus())
    assert backend.identity()["revision"] == commit and backend.identity()["weights_sha256"] is None
    assert backend.translate(corpus()) == direct_seq2seq(tiny("marian"), SOURCES)


def test_builtin_prompt_defaults_are_part_of_the_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    from mteval.systems import prompt

    before = make("hf-causal", model="x").params()
    monkeypatch.setattr(prompt, "FEWSHOT_TEMPLATE", "{src_name} text: {source}\n{tgt_name} text:")
    assert make("hf-causal", model="x").params() != before  # editing the code's defaults re-translates
    pinned = {"template": "Q: {source}\nA:"}
    assert "template" not in make("hf-causal", model="x", prompt=pinned).params()["prompt_defaults"]
