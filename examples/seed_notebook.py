"""The seed evaluation from Python, notebook style (`# %%` cells: open it in Jupyter with jupytext, VS Code or
Spyder, or run it: `python examples/seed_notebook.py [RUN_FOLDER]` from the repository root).

Only the public API (`import mteval`) is used. The seed's Gemma system is left out to keep it quick (it takes about
a minute and a half on a CPU); drop the `systems=` override to include it.
"""

# %% Run the seed config: translate (here: read the Xinhua MT document, re-segmented), score, flag, report.
import json
import signal
import sys

import mteval

if hasattr(signal, "SIGPIPE"):  # `python examples/seed_notebook.py | head` ends quietly, as a shell tool does
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)

output = sys.argv[1] if len(sys.argv) > 1 else "results/seed-notebook"
overrides = [
    f"output={output}",
    "systems=[{name: xinhua-mt, backend: file, level: document, path: corpora/xinhua-2021-04-13/seed-mt.en.txt}]",
]
config = mteval.load_config("configs/seed.yaml", overrides)
run = mteval.run(config, log=lambda line: None)  # progress lines silenced
corpus = config.corpora[0]["name"]

# %% The leaderboard (as leaderboard.md): corpus scores with 95% CIs, p-values and significance clusters.
print(run.leaderboard(format="md"), end="")

# %% Scores and signatures as data.
for system, by_metric in run.scores[corpus].items():
    for metric, info in by_metric.items():
        print(f"# {system} {metric} {info['score']:.2f} {info['signature']}", file=sys.stderr)

# %% The worst segments by chrF, with their sentence scores.
segments = run.segments(corpus, "xinhua-mt")
for row in sorted(segments, key=lambda r: r["scores"]["chrf"])[:3]:
    print(f"# segment {row['segment']} chrF {row['scores']['chrf']:.1f}: {row['hypothesis'][:70]}", file=sys.stderr)

# %% The same scores without the pipeline: `mteval.score` on the run's hypotheses and references.
hypotheses = [row["hypothesis"] for row in segments]
references = [list(stream) for stream in zip(*(row["references"] for row in segments))]
scores = mteval.score({"xinhua-mt": hypotheses}, references, metrics=config.metrics, tgt_lang="en",
                    significance=mteval.Settings(**config.data["significance"]))
assert scores == run.scores[corpus], "mteval.score disagrees with the run"

# %% Flags: the run's flags.jsonl, and the same from `mteval.flag` on the texts.
flags = run.flags(corpus, "xinhua-mt")
sources = [row["source"] for row in segments]
again = mteval.flag(sources, hypotheses, references, glossary=config.data["flags"]["glossary"])
assert again == [{k: v for k, v in f.items() if k not in ("corpus", "system")} for f in flags], "mteval.flag disagrees"
for f in flags:
    print(json.dumps(f, ensure_ascii=False))

# %% Major flags, readable.
for f in run.flags(corpus, severity="major"):
    print(f"# {f['system']} segment {f['segment']} [{f['start']}:{f['end']}] {f['kind']}: {f['text']!r}",
          file=sys.stderr)
