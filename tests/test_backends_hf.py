"""hf-seq2seq and hf-causal backends on tiny trained models of every family the docs name, loaded through the real
`from_pretrained` path: outputs equal a direct `generate()` call with the family's language signal written out
here, differ per input (so a reordering after length-sorted batching shows) and change without the signal.
Unavailable models fail fast and clearly."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from mteval.config.schema import Located, validate
from mteval.corpus.base import Corpus
from mteval.errors import BackendError, ConfigError
from mteval.systems import BACKENDS
from mteval.systems.families import Languages

from tests.tiny_families import EXAMPLES, SOURCES, fake_hub_cache

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

FAMILIES = {
    # family: (backend keys, tokenizer source language, forced first target token, source prefix)
    "nllb": ({}, "zho_Hans", "eng_Latn", ""),
    "m2m100": ({}, "zh", "__en__", ""),
    "mbart50": ({}, "zh_CN", "en_XX", ""),
    "t5": ({}, None, None, "<2en> "),
    "marian": ({"tgt_code": "eng"}, None, None, ">>eng<< "),
}
"""How each family must be told zh→en, written out independently of `eval/systems/families.py`."""

FEW_SHOT = "Chinese: 今天天气很好。\nEnglish: The weather is nice today.\n\nChinese: {source}\nEnglish:"
CHAT = ("<s>user: Translate this Chinese text into English. Reply with the translation only.\n\n今天天气很好。\n"
        "<s>assistant: The weather is nice today.\n"
        "<s>user: Translate this Chinese text into English. Reply with the translation only.\n\n{source}\n"
        "<s>assistant:")
"""The prompts the causal backends must build (one example; the chat template of `tests/tiny_families.py`)."""


def make(backend: str, **spec) -> object:
    from mteval.config.load import SYSTEM_OPTIONS

    cls = BACKENDS.get(backend)
    values = validate({"name": "sys", "backend": backend, **spec}, SYSTEM_OPTIONS + cls.options, Located("t.yaml"), ())
    cls.prepare(values, Located("t.yaml"), ())
    return cls(values)


def corpus(sources: list[str] = SOURCES) -> Corpus:
    return Corpus("c", "zh", "en", list(sources), [])


def direct_seq2seq(path: Path, sources: list[str], src_lang: str | None = None, forced: str | None = None,
                   prefix: str = "") -> list[str]:
    """One `generate()` per sentence with the language signal given explicitly."""
    tok = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.AutoModelForSeq2SeqLM.from_pretrained(path).eval()
    if src_lang:
        tok.src_lang = src_lang
    forced_id = tok.convert_tokens_to_ids(forced) if forced else None
    kwargs = {"forced_bos_token_id": forced_id} if forced else {}
    out = []
    for s in sources:
        enc = tok(prefix + s, return_tensors="pt")
        with torch.inference_mode():
            ids = model.generate(**enc, do_sample=False, num_beams=1, max_new_tokens=12, **kwargs)
        text = [i for i in ids[0].tolist() if i != forced_id]  # the language token is not part of the translation
        out.append(tok.decode(text, skip_special_tokens=True).strip())
    return out


def direct_causal(path: Path, prompts: list[str], chat: bool, stop: str | None) -> list[str]:
    tok = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.AutoModelForCausalLM.from_pretrained(path).eval()
    out = []
    for prompt in prompts:
        enc = tok(prompt, return_tensors="pt", add_special_tokens=not chat)
        with torch.inference_mode():
            ids = model.generate(**enc, do_sample=False, max_new_tokens=10, pad_token_id=0)
        text = tok.decode(ids[0, enc["input_ids"].shape[1]:], skip_special_tokens=True).lstrip(" \t")
        out.append((text.split(stop)[0] if stop else text).strip())
    return out


def expected_seq2seq(path: Path, family: str) -> list[str]:
    """What the backend must output, after checking that the tiny model really depends on the language signal."""
    _, src_lang, forced, prefix = FAMILIES[family]
    want = direct_seq2seq(path, SOURCES, src_lang, forced, prefix)
    assert len(set(want)) == len(SOURCES) and all(want), want  # distinct outputs: a reordering would show
    without = direct_seq2seq(path, SOURCES, src_lang, None, "")
    assert without != want, "the tiny model ignores the language signal: the test could not fail"
    return want


@pytest.mark.parametrize("batch_size", [1, 2])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_seq2seq_family_language_handling(tiny_family, family: str, batch_size: int) -> None:
    path = tiny_family(family)
    keys = FAMILIES[family][0]
    backend = make("hf-seq2seq", model=str(path), batch_size=batch_size, device="cpu",
                   generation={"max_new_tokens": 12}, **keys)
    got = backend.translate(corpus())
    assert backend.languages.family == family
    assert got == expected_seq2seq(path, family)


@pytest.mark.parametrize("batch_size", [1, 3])
@pytest.mark.parametrize("chat", [False, True])
def test_llama_prompt_equals_direct_generate(tiny_family, chat: bool, batch_size: int) -> None:
    path = tiny_family("llama")
    stop = None if chat else "。 "
    prompt = {"examples": EXAMPLES} | ({} if chat else {"stop": [stop]})
    backend = make("hf-causal", model=str(path), batch_size=batch_size, device="cpu", chat=chat, prompt=prompt,
                   generation={"max_new_tokens": 10})
    got = backend.translate(corpus())
    template = CHAT if chat else FEW_SHOT
    assert [backend.prompt("zh", "en").render(backend.tokenizer, s) for s in SOURCES] == \
        [template.format(source=s) for s in SOURCES]
    want = direct_causal(path, [template.format(source=s) for s in SOURCES], chat, stop)
    assert got == want
    assert len(set(got)) == len(SOURCES) and all(got), got


def test_chat_without_a_template_is_a_clear_error(tiny_family, tmp_path: Path) -> None:
    import shutil

    path = shutil.copytree(tiny_family("llama"), tmp_path / "llama")
    config = path / "tokenizer_config.json"
    config.write_text(config.read_text().replace('"chat_template"', '"unused_template"'))
    for template in path.glob("chat_template.*"):
        template.unlink()
    backend = make("hf-causal", model=str(path), device="cpu", chat=True)
    with pytest.raises(BackendError, match="chat: true but the tokenizer has no chat template"):
        backend.translate(corpus())


def test_identity_is_stable_and_tracks_parameters(tiny_family) -> None:
    path = tiny_family("marian")
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
    languages = Languages("sys", "nllb", None, {"src_code": None, "tgt_code": None, "prefix": None})
    assert languages.code("zh", "src") == "zho_Hans"
    with pytest.raises(BackendError, match="set src_code"):
        languages.code("xx", "src")


def test_hub_id_in_the_local_cache_loads_offline_with_its_commit(tiny_family, monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    """A hub id found in the local HF cache (hub layout: refs/main → snapshots/<commit>) loads offline."""
    commit = fake_hub_cache(tiny_family("marian"), "tiny-org/tiny-marian", tmp_path, monkeypatch)
    backend = make("hf-seq2seq", model="tiny-org/tiny-marian", device="cpu", generation={"max_new_tokens": 12},
                   tgt_code="eng")
    backend.check_corpus(corpus())
    assert backend.identity()["revision"] == commit and backend.identity()["weights_sha256"] is None
    assert backend.translate(corpus()) == expected_seq2seq(tiny_family("marian"), "marian")


def test_builtin_prompt_defaults_are_part_of_the_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    from mteval.systems import prompt

    before = make("hf-causal", model="x").params()
    monkeypatch.setattr(prompt, "FEWSHOT_TEMPLATE", "{src_name} text: {source}\n{tgt_name} text:")
    assert make("hf-causal", model="x").params() != before  # editing the code's defaults re-translates
    pinned = {"template": "Q: {source}\nA:"}
    assert "template" not in make("hf-causal", model="x", prompt=pinned).params()["prompt_defaults"]
