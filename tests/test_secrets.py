"""API keys come only from the environment and are never written: not to the run folder (manifest, hypotheses,
scores, report), the translation cache, stdout/stderr, nor error messages, even when the server echoes them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mteval import ConfigError, load_config

from .conftest import ROOT
from .openai_standin import StandIn
from .test_openai_backend import KEY, SOURCES, server  # noqa: F401 (the server fixture)


def write_config(tmp: Path, url: str, extra: str = "") -> Path:
    (tmp / "src.zh").write_text("\n".join(SOURCES) + "\n", encoding="utf-8")
    (tmp / "ref.en").write_text("The weather is nice.\nBoth sides talked.\nXinhua reports.\n", encoding="utf-8")
    cfg = tmp / "secret.yaml"
    cfg.write_text(f"""output: {tmp / 'run'}
cache: {tmp / 'cache' / 'translations.sqlite'}
corpora: [{{name: c, source: {tmp / 'src.zh'}, references: [{tmp / 'ref.en'}], src_lang: zh, tgt_lang: en}}]
systems: [{{name: served, backend: openai, base_url: "{url}", model: m, api_key_env: TEST_OPENAI_KEY,
            concurrency: 1, backoff: 0.01, max_retries: 1{extra}}}]
metrics: [chrf]
""", encoding="utf-8")
    return cfg


def mteval(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TEST_OPENAI_KEY": KEY}
    return subprocess.run([sys.executable, "-m", "mteval", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def leaks(tmp: Path) -> list[Path]:
    return [p for p in tmp.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]


def test_key_never_reaches_run_folder_cache_report_or_output(server: StandIn, tmp_path: Path) -> None:  # noqa: F811
    cfg = write_config(tmp_path, server.url)
    server.script = ["500"]  # the first reply echoes the Authorization header in its body; then a retry succeeds
    proc = mteval("run", str(cfg))
    assert proc.returncode == 0, proc.stderr
    assert {r["auth"] for r in server.requests} == {f"Bearer {KEY}"}  # the key was really used
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert {"run/manifest.json", "run/report.html", "run/flags.jsonl", "cache/translations.sqlite"} <= written
    assert leaks(tmp_path) == []
    assert KEY not in proc.stdout + proc.stderr


def test_key_echoed_by_a_failing_server_is_redacted_in_the_error(server: StandIn, tmp_path: Path) -> None:  # noqa: F811
    cfg = write_config(tmp_path, server.url)
    server.script = ["500"] * 10
    proc = mteval("run", str(cfg))
    last = proc.stderr.splitlines()[-1]
    assert proc.returncode == 2 and last.startswith("mteval: error: system 'served'") and "HTTP 500" in last
    assert "***" in proc.stderr and KEY not in proc.stdout + proc.stderr
    assert leaks(tmp_path) == []


def test_key_in_the_config_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "http://127.0.0.1:9/v1", extra=f", api_key: {KEY}")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert "api_key" in str(err.value) and KEY not in str(err.value)
    cfg = write_config(tmp_path, f"http://u:{KEY}@127.0.0.1:9/v1")
    with pytest.raises(ConfigError, match="do not put credentials in the URL") as err:
        load_config(cfg)
    assert KEY not in str(err.value)
