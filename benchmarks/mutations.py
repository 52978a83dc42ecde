"""Mutation check for the tests of issue #18: each mutation breaks the behaviour a test names, in a temporary copy
of the repository (the work tree is never edited); the named test must then fail ("killed").

    .venv/bin/python benchmarks/mutations.py [--only NAME,...] [--list]

The copy holds eval/, tests/, configs/, corpora/ and pyproject.toml, with `mteval` a symlink to the copied eval/
at its root and `../shared` a symlink to the real shared data; pytest runs there with that root first on
PYTHONPATH (and `python -m mteval` subprocesses start in it), so the mutated code is what every test imports.
A mutation either replaces one piece of code in the copy or, where the behaviour sits behind classes the tests
build (model backends), patches it at pytest start-up through a plugin. Each row prints killed (the test failed),
SURVIVED (it passed: the test cannot see the break) or n/a (the code to mutate is not there, e.g. moved by a later
change). Also checked: with CI=true a missing ../shared fails a test that needs it, without CI it is skipped.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
COPY = ("eval", "tests", "configs", "corpora", "pyproject.toml")


@dataclass
class Mutation:
    name: str
    file: str  # under eval/ ("" for a plugin mutation)
    old: str
    new: str
    test: str  # pytest node id(s), space separated
    note: str = ""
    plugin: str = ""  # instead of old → new: code run at pytest start-up in the copy
    select: str = ""  # a pytest -k expression


def patched(name: str, plugin: str, test: str, select: str) -> Mutation:
    return Mutation(name, "", "", "", test, plugin=plugin, select=select)


BACKEND_TESTS = "tests/test_backends_hf.py tests/test_backends_ct2.py"


MUTATIONS = [
    Mutation("second run draws other resamples", "metrics/significance.py",
             "rng = np.random.default_rng(seed)\n    done = 0\n    while done < resamples:",
             "rng = np.random.default_rng()\n    done = 0\n    while done < resamples:",
             "tests/test_seed_run.py::test_a_second_run_gives_identical_results"),
    Mutation("cache serves a neighbour's entry", "systems/cache.py",
             "out = [found.get(k) for k in keys]", "out = [found.get(k) for k in keys[1:] + keys[:1]]",
             "tests/test_cache.py::test_hits_misses_and_no_model_load_when_cached "
             "tests/test_cache.py::test_shards_merge_into_a_full_cache"),
    Mutation("cache serves a neighbour's entry (resumed run)", "systems/cache.py",
             "out = [found.get(k) for k in keys]", "out = [found.get(k) for k in keys[1:] + keys[:1]]",
             "tests/test_interrupts.py"),
    Mutation("flag stage silently does nothing", "runs/pipeline.py",
             "(translate, score, flag, report)", "(translate, score, lambda ctx: None, report)",
             "tests/test_report_html.py::test_run_writes_seed_report_and_report_false_skips_it"),
    Mutation("probe never connects", "net.py",
             "        socket.create_connection((host, port), timeout=timeout).close()\n", "        pass\n",
             "tests/test_loaders_remote.py::test_hf_hub_unreachable_fails_fast"),
    Mutation("flag highlighted one character late", "report/terminal.py",
             "text.stylize(FLAG_STYLES[flag.severity], flag.start, flag.end)",
             "text.stylize(FLAG_STYLES[flag.severity], flag.start + 1, flag.end + 1)",
             "tests/test_inspect.py::test_color_output_highlights_every_flag_on_its_characters"),
    Mutation("minor flag wins over an overlapping major", "report/terminal.py",
             'key=lambda f: f.severity != "minor"', 'key=lambda f: f.severity == "minor"',
             "tests/test_inspect.py::test_color_output_highlights_every_flag_on_its_characters"),
    Mutation("word diff lists insertions before deletions", "report/worddiff.py",
             '        if i2 > i1:\n            out.append(("-", " ".join(ref[i1:i2])))\n'
             '        if j2 > j1:\n            out.append(("+", " ".join(hyp[j1:j2])))\n',
             '        if j2 > j1:\n            out.append(("+", " ".join(hyp[j1:j2])))\n'
             '        if i2 > i1:\n            out.append(("-", " ".join(ref[i1:i2])))\n',
             "tests/test_inspect.py::test_plain_output_from_the_run_files"),
    Mutation("MQM wrong-severity credit 0.6", "flags/mqm.py",
             "credit += 1.0 if g == p else 0.5", "credit += 1.0 if g == p else 0.6",
             "tests/test_flags_mqm.py::test_all_major_baseline"),
    Mutation("MQM overlapping gold spans: the last one wins, not the most severe", "flags/mqm.py",
             "lab[i] = max(lab[i], rank)", "lab[i] = rank",
             "tests/test_flags_mqm.py::test_all_major_baseline"),
    Mutation("p-values changed slightly", "metrics/significance.py",
             "/ (len(sample_stats) + 1))", "/ (len(sample_stats) + 1.001))",
             "tests/test_significance.py::test_agrees_with_sacrebleu_paired_test[bs]"),
    Mutation("CI one resample order statistic off", "metrics/significance.py",
             "return float(s[lo]), float(s[len(s) - lo - 1])", "return float(s[lo + 1]), float(s[len(s) - lo - 1])",
             "tests/test_significance.py::test_agrees_with_sacrebleu_paired_test[bs]"),
    Mutation("Ctrl-C swallowed by a finalizer is lost", "interrupt.py", "    if _pending:\n", "    if False:\n",
             "tests/test_interrupt_lost.py"),
    Mutation("report ignores the minimum confidence", "report/assets/report.js", " && confident(f);", ";",
             "tests/test_report_browser.py::test_seed_report_in_chromium"),
    Mutation("allowed glossary forms approve nothing", "flags/glossary.py",
             "for m in _form_re(form).finditer(segment.hypothesis)]",
             "for m in _form_re(form).finditer(segment.hypothesis)][:0]",
             "tests/test_flags_overlap.py"),
    Mutation("generic flags kept under specific ones", "flags/overlap.py", "COVERED = 0.5", "COVERED = 1.01",
             "tests/test_flags_overlap.py"),
    Mutation("learned flags below the minimum confidence kept", "flags/support.py",
             'if conf < w["min_confidence"]:', "if False:",
             "tests/test_flags_detectors.py::test_mistranslation_below_the_minimum_confidence_is_not_flagged"),
    Mutation("flags.corpora ignored", "runs/pipeline.py", "if chosen is None or name in chosen]", "]",
             "tests/test_flags_cli.py::test_run_flags_only_the_listed_corpora"),
    Mutation("imperatives taken for fragments", "flags/boundary.py", "if tokens[0].lower() in verbs():", "if False:",
             "tests/test_flags_detectors.py::test_fragment_true_and_false"),
    Mutation("rule confidence ignores the evidence mode", "flags/calibration.py",
             'conf.get(modes.get(f.segment, ""), {})', 'conf.get("", {})',
             "tests/test_flags_detectors.py::test_rule_confidence_depends_on_the_evidence_mode"),
    Mutation("transliterations only by alike letters", "flags/lexicon.py",
             "return len(outline) >= 3 and _alike(", "return False and _alike(",
             "tests/test_flags_detectors.py::test_transliterations_by_consonant_outline"),
    Mutation("function words transliterate", "flags/lexicon.py", "and word.lower() not in STOPWORDS:\n", ":\n",
             "tests/test_flags_detectors.py::test_function_words_never_transliterate"),
    Mutation("flag steps overlap", "flags/__init__.py", "flags.extend(flag_segments(segments[a:b], detectors))",
             "flags.extend(flag_segments(segments[a:b + 1], detectors))",
             "tests/test_parallel.py::test_flag_stage_workers_give_the_same_flags_as_one_process"),
    Mutation("flagging leaves the cyclic GC paused", "flags/__init__.py", "        if enabled:\n            gc.enable()",
             "        if False:\n            gc.enable()",
             "tests/test_flags_detectors.py::test_flagging_pauses_the_cyclic_gc_and_restores_it"),
    Mutation("other systems' counts keep the hypothesis's own", "flags/support.py", "bigram_share([bi[b] - 1 for b",
             "bigram_share([bi[b] for b",
             "tests/test_flags_detectors.py::test_other_systems_evidence_counted_once_per_segment"),
    patched("ct2 batches not split over the CPU workers",
            "from mteval.systems.ct2 import CT2Backend\nCT2Backend._sub_batch = lambda self, rows: rows\n",
            "tests/test_backends_ct2.py", "workers"),
    patched("T5 <2en> prefix skipped",
            "from mteval.systems.families import Languages\n"
            "orig = Languages.source_prefix\n"
            "Languages.source_prefix = lambda self, tgt: '' if self.family == 't5' else orig(self, tgt)\n",
            BACKEND_TESTS, "t5"),
    patched("Marian target prefix skipped",
            "from mteval.systems.families import Languages\n"
            "orig = Languages.source_prefix\n"
            "Languages.source_prefix = lambda self, tgt: '' if self.family == 'marian' else orig(self, tgt)\n",
            BACKEND_TESTS, "family and marian"),
    patched("forced BOS (NLLB, M2M100, mBART-50) dropped",
            "from mteval.systems.families import Languages\n"
            "Languages.target_token = lambda self, tgt: None\n",
            BACKEND_TESTS, "nllb or m2m100 or mbart50"),
    patched("outputs swapped after batching",
            "from mteval.systems.ct2 import CT2Backend\n"
            "from mteval.systems.hf_causal import HFCausalBackend\n"
            "from mteval.systems.hf_seq2seq import HFSeq2SeqBackend\n"
            "def swapped(orig):\n"
            "    return lambda self, sources, src, tgt: list(reversed(orig(self, sources, src, tgt)))\n"
            "for cls in (CT2Backend, HFCausalBackend, HFSeq2SeqBackend):\n"
            "    cls.translate_batch = swapped(cls.translate_batch)\n",
            BACKEND_TESTS, "nllb or llama_prompt or decoder"),
    patched("ct2 stop strings ignored while decoding",
            "from mteval.systems import ct2\nct2.reached_stop = lambda text, stops: False\n",
            "tests/test_backends_ct2.py", "stop_strings_end"),
    patched("ct2 stop characters not end tokens",
            "from mteval.systems import ct2\nct2.stop_token_ids = lambda tokenizer, stops: [] if stops else None\n",
            "tests/test_backends_ct2.py", "end_tokens"),
    patched("chat template ignored",
            "from mteval.systems.prompt import Prompt\n"
            "Prompt.render = lambda self, tokenizer, source: self.text(source)\n",
            BACKEND_TESTS, "True"),
]


def make_copy(tmp: Path, shared: bool) -> Path:
    """tmp/repo (the copied files, `mteval` → eval/) and tmp/shared → the real shared folder."""
    repo = tmp / "repo"
    repo.mkdir()
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, repo / name)
    (repo / "mteval").symlink_to("eval", target_is_directory=True)
    if shared:
        (tmp / "shared").symlink_to(SHARED, target_is_directory=True)
    return repo


def pytest(repo: Path, test: str, plugin: bool = False, select: str = "", **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "CI"}
    environ.update(PYTHONPATH=str(repo), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", **env)
    options = (["-p", "mutation_plugin"] if plugin else []) + (["-k", select] if select else [])
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *options, *test.split()],
                          cwd=repo, env=environ, capture_output=True, text=True, check=False)


def summary(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return lines[-1] if lines else " ".join(proc.stderr.strip().splitlines()[-1:])


def check_imports_copy(repo: Path) -> None:
    out = subprocess.run([sys.executable, "-c", "import mteval; print(mteval.__file__)"], cwd=repo,
                         env={**os.environ, "PYTHONPATH": str(repo)}, capture_output=True, text=True, check=True)
    assert out.stdout.strip().startswith(str(repo)), out.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated substrings of mutation names")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--skip-ci-check", action="store_true")
    args = ap.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or any(k in m.name for k in args.only.split(","))]
    if args.list:
        for m in chosen:
            print(f"{m.name}: {f'eval/{m.file}' if m.file else 'start-up patch'} -> {m.test}"
                  + (f" -k {m.select!r}" if m.select else ""))
        return
    results = []
    for m in chosen:
        with tempfile.TemporaryDirectory(prefix="mteval-mut-") as tmp:
            repo = make_copy(Path(tmp), shared=True)
            check_imports_copy(repo)
            target = repo / "eval" / m.file
            code = target.read_text(encoding="utf-8") if m.file else ""
            if m.plugin:
                (repo / "mutation_plugin.py").write_text(
                    "def pytest_configure(config):\n" + "".join(f"    {line}\n" for line in m.plugin.splitlines()),
                    encoding="utf-8")
                proc = pytest(repo, m.test, plugin=True, select=m.select)
                detail = summary(proc)
                verdict = ("killed" if proc.returncode == 1 and " failed" in detail else
                           "SURVIVED" if proc.returncode == 0 else f"error (pytest exit {proc.returncode})")
            elif code.count(m.old) != 1:
                verdict, detail = "n/a", f"code to mutate not found once in eval/{m.file}"
            else:
                target.write_text(code.replace(m.old, m.new), encoding="utf-8")
                proc = pytest(repo, m.test)
                detail = summary(proc)
                if proc.returncode == 1 and " failed" in detail:
                    verdict = "killed"
                else:
                    verdict = "SURVIVED" if proc.returncode == 0 else f"error (pytest exit {proc.returncode})"
        line = f"{verdict:9s} {m.name} — {m.test}: {detail}" + (f" [{m.note}]" if m.note else "")
        print(line, flush=True)
        results.append(verdict)
    if not args.skip_ci_check:
        test = "tests/test_flags_mqm.py::test_all_major_baseline"
        with tempfile.TemporaryDirectory(prefix="mteval-mut-") as tmp:
            repo = make_copy(Path(tmp), shared=False)
            ci, user = pytest(repo, test, CI="true"), pytest(repo, test)
        ok = ci.returncode == 1 and user.returncode == 0 and "skipped" in summary(user)
        print(f"{'killed' if ok else 'SURVIVED':9s} ../shared missing — {test}: CI=true: {summary(ci)}; "
              f"without CI: {summary(user)}", flush=True)
        results.append("killed" if ok else "SURVIVED")
    print(f"{results.count('killed')} killed, {results.count('SURVIVED')} survived, "
          f"{len(results) - results.count('killed') - results.count('SURVIVED')} other, of {len(results)}")


if __name__ == "__main__":
    main()
