"""Mutation check for the backend tests (issue 18): each mutation breaks one behaviour the tests name, and the
named tests must then fail. Run from the repository root (a few minutes: each run builds its tiny models):

    .venv/bin/python tests/mutate_backends.py [NAME ...]

Each mutation is a pytest plugin patching the code at start-up; the script prints, per mutation, whether the
selected tests failed as they must (exit 1 if any mutation survives).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MUTATIONS = {
    # name: (patch run at pytest start-up, test selection that must fail)
    "t5-prefix-skipped": (
        ("from mteval.systems.families import Languages\n"
        "orig = Languages.source_prefix\n"
        "Languages.source_prefix = lambda self, tgt: '' if self.family == 't5' else orig(self, tgt)\n"),
        ["tests/test_backends_hf.py", "tests/test_backends_ct2.py", "-k", "t5"]),
    "marian-target-prefix-skipped": (
        ("from mteval.systems.families import Languages\n"
        "orig = Languages.source_prefix\n"
        "Languages.source_prefix = lambda self, tgt: '' if self.family == 'marian' else orig(self, tgt)\n"),
        ["tests/test_backends_hf.py", "tests/test_backends_ct2.py", "-k", "family and marian"]),
    "forced-bos-dropped": (
        ("from mteval.systems.families import Languages\n"
        "Languages.target_token = lambda self, tgt: None\n"),
        ["tests/test_backends_hf.py", "tests/test_backends_ct2.py", "-k", "nllb or m2m100 or mbart50"]),
    "outputs-swapped-after-batching": (
        ("from mteval.systems.ct2 import CT2Backend\n"
        "from mteval.systems.hf_causal import HFCausalBackend\n"
        "from mteval.systems.hf_seq2seq import HFSeq2SeqBackend\n"
        "def swapped(orig):\n"
        "    return lambda self, sources, src, tgt: list(reversed(orig(self, sources, src, tgt)))\n"
        "for cls in (CT2Backend, HFCausalBackend, HFSeq2SeqBackend):\n"
        "    cls.translate_batch = swapped(cls.translate_batch)\n"),
        ["tests/test_backends_hf.py", "tests/test_backends_ct2.py", "-k", "nllb or llama_prompt or decoder"]),
    "ct2-stop-strings-ignored-while-decoding": (
        ("from mteval.systems import ct2\n"
        "ct2.reached_stop = lambda text, stops: False\n"),
        ["tests/test_backends_ct2.py", "-k", "stop_strings_end"]),
    "ct2-stop-characters-not-end-tokens": (
        ("from mteval.systems import ct2\n"
        "ct2.stop_token_ids = lambda tokenizer, stops: [] if stops else None\n"),
        ["tests/test_backends_ct2.py", "-k", "end_tokens"]),
    "chat-template-ignored": (
        ("from mteval.systems.prompt import Prompt\n"
        "Prompt.render = lambda self, tokenizer, source: self.text(source)\n"),
        ["tests/test_backends_hf.py", "tests/test_backends_ct2.py", "-k", "True"]),
}


def survives(name: str, patch: str, selection: list[str]) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "mutation_plugin.py").write_text(f"def pytest_configure(config):\n"
                                                      f"{''.join('    ' + line + chr(10) for line in patch.splitlines())}")
        env = {**os.environ, "PYTHONPATH": f"{tmp}{os.pathsep}{ROOT}", "HF_HUB_OFFLINE": "1",
               "HF_DATASETS_OFFLINE": "1"}
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "mutation_plugin", *selection],
                              cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    caught = proc.returncode == 1  # 1: tests failed (not 5: nothing collected, not 2/3/4: errors)
    print(f"{name}: {'caught' if caught else f'SURVIVED (pytest exit {proc.returncode})'}", flush=True)
    return not caught


def main() -> None:
    names = sys.argv[1:] or list(MUTATIONS)
    survived = [n for n in names if survives(n, *MUTATIONS[n])]
    sys.exit(1 if survived else 0)


if __name__ == "__main__":
    main()
