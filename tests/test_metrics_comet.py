"""COMET, CometKiwi and xCOMET: our inference on tiny checkpoints in the official layout equals unbabel-comet 2.2.7's
(golden values from tests/golden/comet/build.py, run in an isolated virtualenv), and the metrics run through
`mteval run`: scores, significance, leaderboard, segments, flags, cache, reference-free corpora, offline errors."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mteval.cli import main as cli_main
from mteval.errors import ConfigError, MetricError
from mteval.metrics import make_metrics
from mteval.metrics.cache import MetricCache

from .conftest import ROOT

pytest.importorskip("torch")

GOLDEN_DIR = ROOT / "tests" / "golden" / "comet"
GOLDEN = json.loads((GOLDEN_DIR / "golden.json").read_text(encoding="utf-8"))
SOURCES, HYPOTHESES, REFERENCES = (list(col) for col in zip(*GOLDEN["segments"]))
MODELS = {"comet": "comet", "comet-softmax-norm": "comet", "cometkiwi": "cometkiwi", "xcomet": "xcomet"}


def spec(folder: str, **extra) -> dict:
    encoder = "encoder-xlmr-xl" if folder == "xcomet" else "encoder-xlmr"
    return {"name": MODELS[folder], "model": str(GOLDEN_DIR / folder), "encoder": str(GOLDEN_DIR / encoder),
            "device": "cpu", **extra}


def metric(folder: str, **extra):
    return make_metrics([spec(folder, **extra)], "en")[0]


def test_golden_files_are_the_ones_scored():
    for model in GOLDEN["models"].values():
        for rel, digest in model["files"].items():
            from mteval.systems.cache import sha256_file

            assert sha256_file(GOLDEN_DIR / rel) == digest, rel


@pytest.mark.parametrize("folder", list(MODELS))
@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_scores_equal_unbabel_comet(folder, batch_size):
    golden = GOLDEN["models"][folder]
    for mode, refs in (("with_reference", REFERENCES), ("without_reference", None)):
        if mode not in golden:
            continue
        out = metric(folder, batch_size=batch_size).outputs(HYPOTHESES, refs, SOURCES)
        assert [o["score"] for o in out] == pytest.approx(golden[mode]["scores"], abs=1e-5)
        if "spans" in golden[mode]:
            for ours, theirs in zip(out, golden[mode]["spans"], strict=True):
                assert [(s["start"], s["end"], s["severity"]) for s in ours["spans"]] == \
                       [(s["start"], s["end"], s["severity"]) for s in theirs]
                assert [s["confidence"] for s in ours["spans"]] == \
                       pytest.approx([s["confidence"] for s in theirs], abs=1e-5)


def test_systems_share_the_encoding_of_sources_and_references(monkeypatch):
    from mteval.metrics.comet_model import CometNet

    encoded, embed = [], CometNet.sentence_embedding
    monkeypatch.setattr(CometNet, "sentence_embedding",
                        lambda net, batch, pad: encoded.append(len(batch.input_ids)) or embed(net, batch, pad))
    stats = metric("comet", batch_size=4).stats_systems({"a": HYPOTHESES, "b": REFERENCES}, [REFERENCES], SOURCES)
    assert sum(encoded) == len({t.strip() for t in SOURCES + HYPOTHESES + REFERENCES})
    assert list(stats["a"][:, 0]) == pytest.approx(GOLDEN["models"]["comet"]["with_reference"]["scores"], abs=1e-5)


def test_corpus_score_is_the_mean_and_signature_names_the_model():
    m = metric("comet")
    stats = m.stats(HYPOTHESES, [REFERENCES], SOURCES)
    scores = GOLDEN["models"]["comet"]["with_reference"]["scores"]
    assert m.corpus_score(stats) == pytest.approx(sum(scores) / len(scores), abs=1e-6)
    assert m.sentence_scores(stats) == pytest.approx(scores, abs=1e-5)
    sig = m.signature()
    assert sig.startswith(f"comet|model:{GOLDEN_DIR / 'comet'}|local|id:") and sig.endswith("mteval-comet-1")


def test_cache_serves_outputs_and_is_keyed_on_the_weights(tmp_path, monkeypatch):
    import mteval.metrics.comet as comet_module

    cache = MetricCache(tmp_path / "metrics.sqlite")
    m = metric("comet")
    m.use_cache(cache)
    first = m.outputs(HYPOTHESES, REFERENCES, SOURCES)

    def no_model(*args):
        raise AssertionError("the model ran although every segment is cached")

    monkeypatch.setattr(comet_module, "_load", no_model)
    again = metric("comet")
    again.use_cache(cache)
    assert again.outputs(HYPOTHESES, REFERENCES, SOURCES) == first
    # other weights (a copy with one byte changed) are another model: nothing is served from the cache
    copy = tmp_path / "comet"
    shutil.copytree(GOLDEN_DIR / "comet", copy)
    (copy / "hparams.yaml").write_text((copy / "hparams.yaml").read_text() + "# changed\n")
    changed = make_metrics([{**spec("comet"), "model": str(copy)}], "en")[0]
    changed.use_cache(cache)
    with pytest.raises(AssertionError, match="the model ran"):
        changed.outputs(HYPOTHESES, REFERENCES, SOURCES)
    cache.close()


def test_hub_ids_resolve_from_the_local_hugging_face_cache(tmp_path, monkeypatch):
    """The hub cache layout (models--ORG--NAME/refs/main → snapshots/COMMIT/...), for the model and its encoder."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    for repo, folder in (("Unbabel/tiny-comet", "comet"), ("tiny/xlmr", "encoder-xlmr")):
        root = tmp_path / "hub" / f"models--{repo.replace('/', '--')}"
        shutil.copytree(GOLDEN_DIR / folder, root / "snapshots" / commit)
        (root / "refs").mkdir()
        (root / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    m = make_metrics([{"name": "comet", "model": "Unbabel/tiny-comet", "encoder": "tiny/xlmr"}], "en")[0]
    out = m.outputs(HYPOTHESES, REFERENCES, SOURCES)
    assert [o["score"] for o in out] == pytest.approx(GOLDEN["models"]["comet"]["with_reference"]["scores"], abs=1e-5)
    assert m.signature().startswith("comet|model:Unbabel/tiny-comet|rev:0123456789ab|id:")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(MetricError, match=r"comet: encoder 'encoder-xlmr' is not in the local Hugging Face cache"):
        make_metrics([{"name": "comet", "model": "Unbabel/tiny-comet"}], "en")[0].check_available()


def test_wrong_model_kind_and_bad_options_are_one_line_errors(tmp_path):
    with pytest.raises(MetricError, match=r"cometkiwi: model .* is a regression_metric, expected unified_metric"):
        make_metrics([{**spec("comet"), "name": "cometkiwi"}], "en")[0].check_available()
    with pytest.raises(MetricError, match="neither a COMET checkpoint folder nor a hub id"):
        make_metrics([{"name": "comet", "model": str(tmp_path / "missing" / "x" / "y")}], "en")[0].check_available()
    with pytest.raises(ConfigError, match=r"comet\.batch_sise: unknown key"):
        make_metrics([{"name": "comet", "batch_sise": 4}], "en")


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(list(argv))
    return code, out.getvalue(), err.getvalue()


def write_run(tmp_path: Path, metrics: list, references: bool = True, detectors: tuple = ("number",)) -> Path:
    """A config over the golden segments: system `golden` (the golden hypotheses) and `copy` (the references)."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    for name, lines in (("source.zh", SOURCES), ("reference.en", REFERENCES), ("golden.en", HYPOTHESES),
                        ("copy.en", REFERENCES)):
        (data / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    corpus = {"name": "tiny", "source": str(data / "source.zh"), "src_lang": "zh", "tgt_lang": "en",
              "references": [str(data / "reference.en")] if references else []}
    config = {"name": "neural", "output": str(tmp_path / "run"), "corpora": [corpus],
              "systems": [{"name": "golden", "backend": "file", "path": str(data / "golden.en")},
                          {"name": "copy", "backend": "file", "path": str(data / "copy.en")}],
              "metrics": metrics, "significance": {"bootstrap": 200}, "flags": {"detectors": list(detectors)},
              "cache": str(tmp_path / "cache" / "translations.sqlite"), "report": False}
    path = tmp_path / "neural.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_mteval_run_scores_ranks_tests_and_flags(tmp_path):
    config = write_run(tmp_path, ["chrf", spec("comet", batch_size=4), spec("cometkiwi"), spec("xcomet")],
                       detectors=["number", "xcomet"])
    code, _, err = cli("run", str(config))
    assert code == 0, err
    run = tmp_path / "run"
    scores = json.loads((run / "scores.json").read_text())["tiny"]
    for name, folder in (("comet", "comet"), ("cometkiwi", "cometkiwi"), ("xcomet", "xcomet")):
        golden = GOLDEN["models"][folder]["with_reference"]["scores"]
        entry = scores["golden"][name]
        assert entry["score"] == pytest.approx(sum(golden) / len(golden), abs=1e-6)
        assert entry["ci"][0] <= entry["score"] <= entry["ci"][1] and "cluster" in entry
        assert "p_value" in scores["golden"][name] or "p_value" in scores["copy"][name]
    rows = [r for r in jsonl(run / "segments.jsonl") if r["system"] == "golden"]
    assert [r["scores"]["comet"] for r in rows] == pytest.approx(
        GOLDEN["models"]["comet"]["with_reference"]["scores"], abs=1e-5)
    board = (run / "leaderboard.md").read_text()
    assert "comet" in board and "xcomet" in board and "golden" in board
    flags = [f for f in jsonl(run / "flags.jsonl") if f["kind"] == "xcomet" and f["system"] == "golden"]
    expected = set()
    for i, spans in enumerate(GOLDEN["models"]["xcomet"]["with_reference"]["spans"]):
        hyp = HYPOTHESES[i].strip()
        for s in spans:
            text = hyp[s["start"]:s["end"]]
            start = s["start"] + len(text) - len(text.lstrip())
            end = s["end"] - (len(text) - len(text.rstrip()))
            if end > start:
                expected.add((i, start, end, "minor" if s["severity"] == "minor" else "major", s["severity"]))
    assert expected and {(f["segment"], f["start"], f["end"], f["severity"], f["evidence"]["xcomet_severity"])
                         for f in flags} == expected
    for f in flags:
        assert f["text"] == HYPOTHESES[f["segment"]].strip()[f["start"]:f["end"]]
    # correlate: human segment scores equal to COMET's own give Pearson 1 for comet
    human = tmp_path / "human.tsv"
    human.write_text("system\tsegment\tscore\n" + "".join(
        f"{r['system']}\t{r['segment']}\t{r['scores']['comet']!r}\n" for r in jsonl(run / "segments.jsonl")))
    code, out, err = cli("correlate", str(run), "--human", str(human), "--level", "segment", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    result = report["metrics"]
    assert report["segments"] == len(HYPOTHESES) and sorted(report["systems"]) == ["copy", "golden"]
    assert result["comet"]["pearson"] == pytest.approx(1.0)
    assert result["chrf"]["pearson"] < 0.999
    manifest = json.loads((run / "manifest.json").read_text())
    assert "xcomet" in manifest["flags"]["detectors"]
    assert manifest["signatures"]["tiny"]["comet"].startswith("comet|model:")
    assert (tmp_path / "cache" / "metrics.sqlite").is_file()


def test_corpora_without_references_get_the_reference_free_metrics(tmp_path):
    config = write_run(tmp_path, ["chrf", spec("comet"), spec("cometkiwi"), spec("xcomet")], references=False)
    code, _, err = cli("run", str(config), "--stages", "translate,score")
    assert code == 0, err
    scores = json.loads((tmp_path / "run" / "scores.json").read_text())["tiny"]["golden"]
    assert set(scores) == {"cometkiwi", "xcomet"}
    golden = GOLDEN["models"]["xcomet"]["without_reference"]["scores"]
    assert scores["xcomet"]["score"] == pytest.approx(sum(golden) / len(golden), abs=1e-6)


def test_metric_options_are_validated_with_file_and_line(tmp_path):
    config = write_run(tmp_path, ["chrf", {"name": "comet", "model": "x/y", "batchsize": 4}])
    code, _, err = cli("run", str(config))
    assert code == 2 and err.count("\n") == 1
    assert f"{config}:" in err and "metrics.1.batchsize: unknown key" in err


def test_the_xcomet_detector_needs_the_metric(tmp_path):
    config = write_run(tmp_path, ["chrf"], detectors=["number", "xcomet"])
    code, _, err = cli("run", str(config))
    assert code == 2 and "flags.detectors.1: flag detector 'xcomet' comes with the 'xcomet' metric" in err


def test_offline_without_weights_fails_at_once_naming_the_model(tmp_path):
    """Before any translation, one line naming the model and how to get it (a subprocess: a clean HF cache)."""
    config = write_run(tmp_path, ["chrf", {"name": "comet", "model": "Unbabel/wmt22-comet-da"}])
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hf"), "HF_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "eval", "run", str(config)], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=False)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "'Unbabel/wmt22-comet-da' is not in the local Hugging Face cache" in proc.stderr
    assert "hf download Unbabel/wmt22-comet-da" in proc.stderr
    assert not (tmp_path / "run" / "hypotheses").exists()
