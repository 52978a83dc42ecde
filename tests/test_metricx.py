"""MetricX-24 (`metricx`, `metricx-qe`): scores and tokenisation equal google-research/metricx's own code on a tiny
random checkpoint (golden values from tests/golden/make_metricx_golden.py); missing weights fail fast and clearly."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mteval.errors import MetricError
from mteval.metrics import METRICS

from tests.tiny_metricx import REGRESSION_ID, save_tiny_metricx

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

GOLDEN = json.loads((Path(__file__).parent / "golden" / "metricx24_tiny.json").read_text(encoding="utf-8"))
EXAMPLES = GOLDEN["examples"]
HYPS = [e["hypothesis"] for e in EXAMPLES]
REFS = [[e["reference"] for e in EXAMPLES]]
SRCS = [e["source"] for e in EXAMPLES]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return save_tiny_metricx(tmp_path_factory.mktemp("metricx"))


def make(name: str, model: Path | str, tokenizer: Path | str, **options):
    return METRICS.get(name)("en", model=str(model), tokenizer=str(tokenizer), device="cpu",
                             max_input_length=GOLDEN["max_input_length"], **options)


def test_the_tiny_checkpoint_is_the_one_the_golden_values_were_computed_on(checkpoint) -> None:
    model, tok = checkpoint
    for path in (model / "model.safetensors", tok / "spiece.model"):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == GOLDEN["sha256"][path.name]


@pytest.mark.parametrize(("name", "key"), [("metricx", "reference"), ("metricx-qe", "qe")])
def test_scores_equal_the_official_implementation(checkpoint, name: str, key: str) -> None:
    """Batches of 3 mix lengths (padding), one input is truncated, one hypothesis is empty, some end in spaces."""
    metric = make(name, *checkpoint, batch_size=3)
    stats = metric.stats(HYPS, REFS, SRCS)
    np.testing.assert_allclose(stats[:, 0], GOLDEN[key], rtol=0, atol=1e-5)
    assert metric.corpus_score(stats) == pytest.approx(np.mean(GOLDEN[key]), abs=1e-5)
    assert metric.sentence_scores(stats) == pytest.approx(GOLDEN[key], abs=1e-5)
    assert not metric.higher_is_better and metric.loads_model
    assert metric.needs_references == (name == "metricx")


def test_tokenisation_equals_the_official_environment(checkpoint) -> None:
    """transformers 4.30's T5 pipeline (MetricX's pin): trailing and Unicode spaces, specials, NFKC, truncation."""
    scorer = make("metricx", *checkpoint).scorer()
    tok = GOLDEN["tokenization"]
    assert scorer.token_ids(tok["strings"], GOLDEN["max_input_length"]) == tok["input_ids"]


def test_without_sources_the_source_is_empty_as_the_readme_says(checkpoint) -> None:
    metric = make("metricx", *checkpoint, batch_size=4)
    blank = metric.segment_scores(HYPS, REFS, None)
    assert blank == pytest.approx(metric.segment_scores(HYPS, REFS, [""] * len(HYPS)), abs=0)
    assert blank != pytest.approx(GOLDEN["reference"], abs=1e-3)


def test_scores_are_clipped_to_0_and_25(checkpoint, tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    model, tok = checkpoint
    weights = load_file(model / "model.safetensors")
    for scale, expected in ((10.0, 25.0), (-1.0, 0.0)):
        scaled = tmp_path / f"scaled{scale}"
        shutil.copytree(model, scaled)
        weights["lm_head.weight"][REGRESSION_ID] *= scale
        save_file(weights, str(scaled / "model.safetensors"))
        weights["lm_head.weight"][REGRESSION_ID] /= scale
        assert make("metricx", scaled, tok).segment_scores(HYPS, REFS, SRCS) == [expected] * len(HYPS)


def test_signature_and_identity_follow_weights_settings_and_mode(checkpoint, tmp_path: Path) -> None:
    model, tok = checkpoint
    ref, qe = make("metricx", model, tok), make("metricx-qe", model, tok)
    assert ref.signature().startswith(f"metricx|model:{model}|local|maxlen:{GOLDEN['max_input_length']}|id:")
    assert ref.identity() != qe.identity()
    assert ref.identity() == make("metricx", model, tok, batch_size=1).identity()
    assert ref.identity() != METRICS.get("metricx")("en", model=str(model), tokenizer=str(tok)).identity()
    edited = tmp_path / "edited"
    shutil.copytree(model, edited)
    (edited / "config.json").write_text((model / "config.json").read_text().replace('"d_ff": 64', '"d_ff":64'))
    assert make("metricx", edited, tok).identity() != ref.identity()


def test_hub_ids_load_offline_from_the_local_cache(checkpoint, monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    import huggingface_hub.constants as c

    commit = "0123456789abcdef0123456789abcdef01234567"
    for repo, src in (("google/metricx-24-hybrid-large-v2p6", checkpoint[0]), ("google/mt5-xl", checkpoint[1])):
        folder = tmp_path / ("models--" + repo.replace("/", "--"))
        shutil.copytree(src, folder / "snapshots" / commit)
        (folder / "refs").mkdir()
        (folder / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(c, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(c, "HF_HUB_OFFLINE", True)
    metric = METRICS.get("metricx")("en", device="cpu", max_input_length=GOLDEN["max_input_length"])
    metric.check_available()
    assert metric.signature().startswith("metricx|model:google/metricx-24-hybrid-large-v2p6|rev:0123456789ab|")
    np.testing.assert_allclose(metric.segment_scores(HYPS, REFS, SRCS), GOLDEN["reference"], rtol=0, atol=1e-5)


def test_missing_weights_offline_are_one_clear_line_without_loading_torch(tmp_path: Path) -> None:
    code = ("import sys\nfrom mteval.errors import MetricError\nfrom mteval.metrics import METRICS\n"
            "try:\n    METRICS.get('metricx')('en').check_available()\nexcept MetricError as exc:\n"
            "    print(exc)\nprint(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n")
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout.splitlines()
    assert out[1] == "[]"
    assert out[0].startswith("metricx: model 'google/metricx-24-hybrid-large-v2p6' is not in the local Hugging "
                             f"Face cache ({tmp_path}) and the hub is unreachable: offline mode (HF_HUB_OFFLINE=1)")
    assert out[0].endswith("(to get it: hf download google/metricx-24-hybrid-large-v2p6; "
                           "hf download google/mt5-xl --include '*.json' --include spiece.model)")


def test_bad_inputs_and_settings_are_metric_errors(checkpoint, tmp_path: Path) -> None:
    model, tok = checkpoint
    with pytest.raises(MetricError, match="needs references"):
        make("metricx", model, tok).segment_scores(HYPS, [], SRCS)
    with pytest.raises(MetricError, match="metricx-qe: needs the source segments"):
        make("metricx-qe", model, tok).segment_scores(HYPS, [], None)
    with pytest.raises(MetricError, match="batch_size must be at least 1"):
        make("metricx", model, tok, batch_size=0)
    with pytest.raises(MetricError, match="directory has no config.json"):
        make("metricx", tmp_path, tok).check_available()
    if not torch.cuda.is_available():
        with pytest.raises(MetricError, match="device cuda requested"):
            METRICS.get("metricx")("en", model=str(model), tokenizer=str(tok), device="cuda").segment_scores(
                HYPS, REFS, SRCS)


def write_run(tmp_path: Path, metrics: list, references: bool = True) -> Path:
    """A config over the golden examples: system `golden` (their hypotheses) and `copy` (the references)."""
    import yaml

    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    for name, lines in (("source.zh", SRCS), ("reference.en", REFS[0]), ("golden.en", HYPS), ("copy.en", REFS[0])):
        (data / name).write_text("".join(" ".join(line.split()) + "\n" for line in lines), encoding="utf-8")
    corpus = {"name": "tiny", "source": str(data / "source.zh"), "src_lang": "zh", "tgt_lang": "en",
              "references": [str(data / "reference.en")] if references else []}
    config = {"name": "metricx", "output": str(tmp_path / "run"), "corpora": [corpus],
              "systems": [{"name": "golden", "backend": "file", "path": str(data / "golden.en")},
                          {"name": "copy", "backend": "file", "path": str(data / "copy.en")}],
              "metrics": metrics, "significance": {"bootstrap": 200}, "flags": {"detectors": ["number"]},
              "cache": str(tmp_path / "cache" / "translations.sqlite"), "report": False}
    path = tmp_path / "metricx.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def test_mteval_run_scores_ranks_and_tests_with_metricx(checkpoint, tmp_path: Path) -> None:
    from mteval.cli import main as cli_main

    model, tok = checkpoint
    opts = {"model": str(model), "tokenizer": str(tok), "device": "cpu", "batch_size": 4,
            "max_input_length": GOLDEN["max_input_length"]}
    config = write_run(tmp_path, ["chrf", {"name": "metricx", **opts}, {"name": "metricx-qe", **opts}])
    assert cli_main(["run", str(config)]) == 0
    run = tmp_path / "run"
    scores = json.loads((run / "scores.json").read_text())["tiny"]
    # the run's files hold the golden examples with whitespace collapsed (one line each)
    ours = make("metricx", model, tok).segment_scores([" ".join(h.split()) for h in HYPS],
                                                     [[" ".join(r.split()) for r in REFS[0]]],
                                                     [" ".join(s.split()) for s in SRCS])
    assert scores["golden"]["metricx"]["score"] == pytest.approx(np.mean(ours), abs=1e-6)
    assert scores["golden"]["metricx"]["higher_is_better"] is False
    assert "ci" in scores["golden"]["metricx"] and "cluster" in scores["golden"]["metricx-qe"]
    rows = [json.loads(line) for line in (run / "segments.jsonl").read_text().splitlines()]
    assert [r["scores"]["metricx"] for r in rows if r["system"] == "golden"] == pytest.approx(ours, abs=1e-5)
    assert "metricx" in (run / "leaderboard.md").read_text()
    config = write_run(tmp_path, ["chrf", {"name": "metricx", **opts}, {"name": "metricx-qe", **opts}],
                       references=False)
    assert cli_main(["run", str(config), "--stages", "translate,score"]) == 0
    assert set(json.loads((run / "scores.json").read_text())["tiny"]["golden"]) == {"metricx-qe"}


def test_cache_serves_scores_without_loading_the_model_and_is_keyed_on_the_weights(checkpoint, tmp_path: Path) -> None:
    from mteval.metrics.cache import MetricCache

    model, tok = checkpoint
    cache = MetricCache(tmp_path / "metrics.sqlite")
    first = make("metricx", model, tok)
    first.use_cache(cache)
    scores = first.segment_scores(HYPS, REFS, SRCS)
    again = make("metricx", model, tok)
    again.use_cache(cache)
    assert again.segment_scores(HYPS, REFS, SRCS) == scores and again._scorer is None  # all from the cache
    qe = make("metricx-qe", model, tok)
    qe.use_cache(cache)
    np.testing.assert_allclose(qe.segment_scores(HYPS, REFS, SRCS), GOLDEN["qe"], rtol=0, atol=1e-5)  # no reuse
    edited = tmp_path / "edited"
    shutil.copytree(model, edited)
    weights = (edited / "model.safetensors").read_bytes()
    (edited / "model.safetensors").write_bytes(weights[:-4] + bytes(4))  # the last weight changes
    other = make("metricx", edited, tok)
    other.use_cache(cache)
    assert other.identity() != first.identity()
    other.segment_scores(HYPS[:1], [REFS[0][:1]], SRCS[:1])
    assert other._scorer is not None  # a miss: the edited weights are scored, not served from the cache
    cache.close()
