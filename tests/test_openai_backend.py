"""The `openai` backend against a real HTTP server on 127.0.0.1 speaking /v1/chat/completions and /v1/completions,
including 500s, 429s, timeouts, malformed JSON and missing fields; the API key is never written anywhere."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mteval import load_config, run
from mteval.corpus.base import Corpus
from mteval.errors import BackendError, ConfigError

from .openai_standin import StandIn
from .test_backends_hf import make

KEY = "sk-test-7f3a9c1e5b"
SOURCES = ["今天天气很好。", "双方讨论了国际热点问题。", "新华社北京电。"]


@pytest.fixture
def server() -> Iterator[StandIn]:
    s = StandIn()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_OPENAI_KEY", KEY)


def backend(server: StandIn, **spec: Any) -> Any:
    return make("openai", base_url=server.url, model="m", api_key_env="TEST_OPENAI_KEY", backoff=0.01,
                **{"timeout": 5.0, **spec})


def corpus() -> Corpus:
    return Corpus("c", "zh", "en", list(SOURCES), [])


def test_chat_completions(server: StandIn) -> None:
    got = backend(server, concurrency=3).translate(corpus())
    assert got == ["EN(" + s + ")" for s in SOURCES]
    req = server.requests[0]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == f"Bearer {KEY}"
    messages = req["body"]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"] * 4 + ["user"]  # built-in zh→en examples
    assert req["body"]["temperature"] == 0 and req["body"]["model"] == "m"


def test_completions_few_shot_and_stop(server: StandIn) -> None:
    got = backend(server, endpoint="completions", generation={"max_tokens": 50}).translate(corpus())
    assert got == ["EN(" + s + ")" for s in SOURCES]  # cut at the newline stop
    bodies = sorted((r["body"] for r in server.requests), key=lambda b: b["prompt"])
    assert {r["path"] for r in server.requests} == {"/v1/completions"}
    for body in bodies:
        assert body["prompt"].count("Chinese: ") == 5  # four built-in examples, then the query
        assert body["stop"] == ["\n"] and body["max_tokens"] == 50
    assert sorted(b["prompt"].rsplit("\n\n", 1)[1] for b in bodies) == sorted(
        f"Chinese: {s}\nEnglish:" for s in SOURCES)


def test_retries_500_429_and_timeouts_then_succeeds(server: StandIn) -> None:
    server.script = ["500", "429", "sleep"]
    got = backend(server, concurrency=1, timeout=0.3, max_retries=3).translate(Corpus("c", "zh", "en", SOURCES[:1],
                                                                                      []))
    assert got == ["EN(" + SOURCES[0] + ")"]
    assert len(server.requests) == 4


def test_gives_up_after_bounded_retries_naming_the_endpoint(server: StandIn) -> None:
    server.script = ["500"] * 10
    started = time.perf_counter()
    with pytest.raises(BackendError, match=r"/v1/chat/completions: giving up after 3 attempts: HTTP 500") as err:
        backend(server, concurrency=1, max_retries=2).translate(Corpus("c", "zh", "en", SOURCES[:1], []))
    assert time.perf_counter() - started < 2
    assert len(server.requests) == 3
    assert KEY not in str(err.value) and "***" in str(err.value)  # the server echoed the key: redacted


def test_unreachable_endpoint_fails_naming_it() -> None:
    b = make("openai", base_url="http://127.0.0.1:9/v1", model="m", backoff=0.01, max_retries=1)
    with pytest.raises(BackendError, match=r"http://127.0.0.1:9/v1/chat/completions: giving up after 2 attempts: "
                                           r"connection failed"):
        b.translate(Corpus("c", "zh", "en", SOURCES[:1], []))


@pytest.mark.parametrize(("action", "message"), [
    ("garbage", r"malformed response \(not JSON\)"),
    ("nochoices", r"malformed response: no string choices\[0\]\.message\.content"),
    ("400", r"HTTP 400"),
])
def test_malformed_responses_and_client_errors_are_errors(server: StandIn, action: str, message: str) -> None:
    server.script = [action]
    with pytest.raises(BackendError, match=message):
        backend(server, concurrency=1).translate(Corpus("c", "zh", "en", SOURCES[:1], []))
    assert len(server.requests) == 1  # not retried


def test_key_never_written_to_manifest_or_cache(server: StandIn, tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    (tmp_path / "src.zh").write_text("\n".join(SOURCES) + "\n", encoding="utf-8")
    (tmp_path / "ref.en").write_text("a\nb\nc\n", encoding="utf-8")
    cfg.write_text(f"""output: {tmp_path / 'run'}
corpora: [{{name: c, source: {tmp_path / 'src.zh'}, references: [{tmp_path / 'ref.en'}]}}]
systems: [{{name: served, backend: openai, base_url: "{server.url}", model: m, api_key_env: TEST_OPENAI_KEY}}]
metrics: [chrf]
report: false
""", encoding="utf-8")
    run(load_config(cfg))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "translations.sqlite" for p in files)
    for p in files:
        assert KEY.encode() not in p.read_bytes(), p
    assert len(server.requests) == 3
    run(load_config(cfg))
    assert len(server.requests) == 3  # served from the cache


def test_config_checks(server: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="base_url: do not put credentials in the URL"):
        make("openai", base_url="http://user:pw@host/v1", model="m")
    with pytest.raises(ConfigError, match="base_url: expected an http"):
        make("openai", base_url="ftp://host/v1", model="m")
    monkeypatch.delenv("TEST_OPENAI_KEY")
    with pytest.raises(BackendError, match="TEST_OPENAI_KEY \\(api_key_env\\) is not set"):
        backend(server).check_corpus(corpus())
