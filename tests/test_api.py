"""The public Python API: `mteval.run` → `Run`, `Run.open`, typed errors with the CLI's messages, and the
notebook-style example reproducing `mteval run configs/seed.yaml`."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import subprocess
import sys

import mteval
import pytest
from mteval.cli import main as cli_main

from .conftest import ROOT

SEED_MT_ONLY = ("systems=[{name: xinhua-mt, backend: file, level: document, "
                "path: corpora/xinhua-2021-04-13/seed-mt.en.txt}]")
CORPUS = "xinhua-2021-04-13"
NOTEBOOK = ROOT / "examples" / "seed_notebook.py"


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(list(argv))
    return code, out.getvalue(), err.getvalue()


def jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """`mteval run configs/seed.yaml` (the file system only) through the CLI: the folder every check compares to."""
    out = tmp_path_factory.mktemp("cli") / "seed"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        code, stdout, _ = cli("run", "configs/seed.yaml", "--set", f"output={out}", "--set", SEED_MT_ONLY)
    assert code == 0, stdout
    return out


def test_notebook_reproduces_the_cli_leaderboard_and_flags(cli_run, tmp_path):
    proc = subprocess.run([sys.executable, str(NOTEBOOK), str(tmp_path / "nb")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    board = (cli_run / "leaderboard.md").read_text(encoding="utf-8")
    assert proc.stdout.startswith(board)
    flags = [json.loads(line) for line in proc.stdout[len(board):].splitlines()]
    assert flags == jsonl(cli_run / "flags.jsonl")
    assert any(f["kind"] == "broken-sentence" and f["text"] == "relax. intense situation" for f in flags)
    assert (tmp_path / "nb" / "scores.json").read_bytes() == (cli_run / "scores.json").read_bytes()


def test_notebook_uses_only_the_public_api():
    tree = ast.parse(NOTEBOOK.read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert "mteval" in imported and not any(isinstance(n, ast.ImportFrom) for n in ast.walk(tree))
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == "mteval"}
    assert used and used <= set(mteval.__all__), used - set(mteval.__all__)


def test_run_open_reads_back_every_file_of_the_run_folder(cli_run):
    run = mteval.Run.open(cli_run)
    assert run.root == run.path == cli_run
    assert run.scores == json.loads((cli_run / "scores.json").read_text(encoding="utf-8"))
    assert run.manifest["mteval_run"] == "seed" and "signatures" in run.manifest
    assert run.leaderboard(format="md") == (cli_run / "leaderboard.md").read_text(encoding="utf-8")
    assert run.leaderboard(format="csv") == (cli_run / "leaderboard.csv").read_text(encoding="utf-8")
    rows = run.leaderboard("ter")
    assert rows[0]["system"] == "xinhua-mt" and rows[0]["ter"] == run.scores[CORPUS]["xinhua-mt"]["ter"]["score"]
    assert run.segments() == jsonl(cli_run / "segments.jsonl")
    assert run.segments(CORPUS, "xinhua-mt") == run.segments()
    assert run.flags() == jsonl(cli_run / "flags.jsonl")
    majors = run.flags(severity="major")
    assert majors == [f for f in jsonl(cli_run / "flags.jsonl") if f["severity"] == "major"]
    # The rule detectors' majors are the seed's real errors (the learned detector adds paraphrases: README).
    assert {f["text"] for f in majors if f["kind"] != "mistranslation"} == {"relax. intense situation",
                                           "Stable and predictable collaborative relationship.",
                                           "intense situation",  # glossary: 缓和紧张局势 is a major term
                                           "strategic and stable dialogue"}  # glossary: 战略稳定对话
    assert [f["kind"] for f in run.flags(kind="glossary")] == ["glossary"] * len(run.flags(kind="glossary"))


def test_eval_run_returns_a_run(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    run = mteval.run("configs/seed.yaml", [f"output={tmp_path / 'r'}", SEED_MT_ONLY], stages=["translate", "score"],
                   log=lambda line: None)
    assert isinstance(run, mteval.Run) and run.root == tmp_path / "r"
    assert set(run.scores[CORPUS]["xinhua-mt"]) == {"bleu", "chrf", "chrf++", "ter"}
    with pytest.raises(mteval.RunError, match=r"flags\.jsonl: not found \(has the flag stage run\?\)"):
        run.flags()


def test_run_open_errors_are_typed_and_name_the_problem(cli_run, tmp_path):
    with pytest.raises(mteval.RunError, match=r"not a run folder \(no scores\.json"):
        mteval.Run.open(tmp_path)
    run = mteval.Run.open(cli_run)
    with pytest.raises(mteval.RunError, match=r"no metric 'comet' in this run \(known: bleu, chrf, chrf\+\+, ter\)"):
        run.leaderboard("comet")
    with pytest.raises(mteval.ConfigError, match="leaderboard format 'html'"):
        run.leaderboard(format="html")
    with pytest.raises(mteval.RunError, match=r"no corpus 'wmt' in this run \(known: xinhua-2021-04-13\)"):
        run.segments("wmt")
    with pytest.raises(mteval.RunError, match=r"no system 'gemma' in this run \(known: xinhua-mt\)"):
        run.segments(system="gemma")
    assert run.flags(system="gemma") == [] and run.flags(kind="no-such-kind") == []
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("scores.json", "manifest.json"):
        (broken / name).write_bytes((cli_run / name).read_bytes())
    lines = (cli_run / "segments.jsonl").read_text(encoding="utf-8").splitlines()
    (broken / "segments.jsonl").write_text("\n".join(lines[:3] + ["{oops"] + lines[3:]) + "\n", encoding="utf-8")
    with pytest.raises(mteval.RunError, match=r"segments\.jsonl:4: invalid JSON"):
        mteval.Run.open(broken).segments()


def test_api_errors_carry_the_cli_messages(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    ref = tmp_path / "ref.en"
    ref.write_text("a b c\n", encoding="utf-8")
    cases = [
        (lambda: mteval.score_files([str(ref)], [str(ref)], metrics=["bleu", "meteor"]),
         ("score", "--ref", str(ref), "--metrics", "bleu,meteor", str(ref)), mteval.MetricError),
        (lambda: mteval.run("configs/seed.yaml", ["metrics=[bleu, blue]"]),
         ("run", "configs/seed.yaml", "--set", "metrics=[bleu, blue]"), mteval.ConfigError),
        (lambda: mteval.run(tmp_path / "missing.yaml"), ("run", str(tmp_path / "missing.yaml")), mteval.ConfigError),
        (lambda: mteval.flag(["源"], ["a"], detectors=["nonsense"]),
         ("flag", "--src", str(ref), "--hyp", str(ref), "--detectors", "nonsense"), mteval.ConfigError),
    ]
    for call, argv, error in cases:
        with pytest.raises(error) as exc:
            call()
        code, _, stderr = cli(*argv)
        assert code == 2 and stderr == f"mteval: error: {exc.value}\n"


def test_api_argument_errors_are_typed(tmp_path):
    with pytest.raises(mteval.ConfigError, match=r"unknown stage 'scoer' \(known: translate, score, flag, report"):
        mteval.run("configs/seed.yaml", stages=["scoer"])
    with pytest.raises(mteval.ConfigError, match=r"shard \(2, 2\): expected I/N with 0 <= I < N"):
        mteval.run("configs/seed.yaml", shard=(2, 2))
    config = mteval.load_config(ROOT / "configs" / "seed.yaml")
    with pytest.raises(mteval.ConfigError, match="overrides apply to a config file"):
        mteval.run(config, ["metrics=[bleu]"])
    with pytest.raises(mteval.CorpusError, match="system 'mt' has 2 segments, reference 1 has 1"):
        mteval.score({"mt": ["a", "b"]}, [["a"]])
    with pytest.raises(mteval.MetricError, match=r"unknown metric 'bleurt' \(known: bleu, chrf, chrf\+\+, comet, "):
        mteval.score({"mt": ["a"]}, [["a"]], metrics=["bleurt"])
    with pytest.raises(mteval.MetricError, match="comet: needs the source segments"):
        mteval.score({"mt": ["a"]}, [["a"]], metrics=["comet"])
    with pytest.raises(mteval.CorpusError, match="line counts differ: the hypothesis stream has 1 segment, the source stream has 2 segments"):
        mteval.flag(["一", "二"], ["one"])
