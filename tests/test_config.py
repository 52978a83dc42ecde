"""Configs are validated before anything runs; every error names the config file, the line and the key."""

from __future__ import annotations

import re
import textwrap

import pytest
from mteval.config.load import load_config
from mteval.errors import ConfigError

from .conftest import ROOT

SEED = ROOT / "corpora" / "xinhua-2021-04-13"

BASE = f"""\
name: trial
corpora:
  - name: xinhua
    source: {SEED / "source.zh"}
    references: [{SEED / "reference.en"}]
systems:
  - name: seed-mt
    backend: file
    path: {SEED / "seed-mt.en.txt"}
    level: document
  - name: again
    backend: file
    path: {SEED / "seed-mt.en.txt"}
    level: document
metrics: [bleu, chrf]
"""


def write(tmp_path, text: str, name: str = "trial.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    (line,) = [i for i, s in enumerate(text.split("\n"), 1) if needle in s]
    return line


def error(path, overrides=None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_valid_config_gets_defaults_and_languages_from_file_names(tmp_path):
    cfg = load_config(write(tmp_path, BASE))
    assert cfg.name == "trial" and str(cfg.output) == "results/trial"
    assert cfg.metrics == ["bleu", "chrf"]
    (corpus,) = cfg.corpora
    assert corpus["type"] == "files" and corpus["src_lang"] == "zh" and corpus["tgt_lang"] == "en"
    assert [s["name"] for s in cfg.systems] == ["seed-mt", "again"]
    assert cfg.systems[0]["corpora"] is None


def test_name_defaults_to_file_stem_and_metrics_to_all(tmp_path):
    text = BASE.replace("name: trial\n", "").replace("metrics: [bleu, chrf]\n", "")
    cfg = load_config(write(tmp_path, text, "my-run.yaml"))
    assert cfg.name == "my-run" and str(cfg.output) == "results/my-run"
    assert cfg.metrics == ["bleu", "chrf", "chrf++", "ter"]


def test_seed_config_in_the_repository_is_valid(monkeypatch):
    monkeypatch.chdir(ROOT)
    cfg = load_config("configs/seed.yaml")
    assert cfg.name == "seed" and "xinhua-mt" in [s["name"] for s in cfg.systems]


def test_sha256_follows_the_resolved_config(tmp_path):
    path = write(tmp_path, BASE)
    assert load_config(path).sha256() == load_config(path).sha256()
    assert load_config(path).sha256() != load_config(path, ["metrics=[bleu]"]).sha256()
    assert re.fullmatch(r"[0-9a-f]{64}", load_config(path).sha256())


@pytest.mark.parametrize("old,new,needle,key,problem", [
    ("metrics: [bleu, chrf]", "metrics: [bleu, chrf]\nmetrix: [ter]", "metrix:", "metrix", "unknown key"),
    ("    level: document\n  - name: again", "    level: document\n    batch: 4\n  - name: again", "batch:",
     "systems.0.batch", "unknown key"),
    ("    references: [", "    refs: [", "refs:", "corpora.0.refs", "unknown key"),
    ("metrics: [bleu, chrf]", "metrics: bleu", "metrics:", "metrics", "expected list, got str"),
    ("name: trial", "name: 42", "name: 42", "name", "expected str, got int"),
    ("    level: document\n  - name: again", "    level: page\n  - name: again", "level: page",
     "systems.0.level", "'page' is not one of segment, document"),
    ("    backend: file\n    path: " + str(SEED / "seed-mt.en.txt") + "\n    level: document\n  - name: again",
     "    backend: fax\n    path: x\n  - name: again", "backend: fax", "systems.0.backend",
     "unknown backend 'fax' (known: "),
    ("  - name: xinhua\n", "  - name: xinhua\n    type: csvx\n", "type: csvx", "corpora.0.type",
     "unknown type 'csvx' (known: "),
    ("metrics: [bleu, chrf]", "metrics: [bleu, blue]", "metrics:", "metrics.1",
     "unknown metric 'blue' (known: bleu, chrf, chrf++, comet, cometkiwi, flags-mqm, metricx, metricx-qe, ter, xcomet"),
    ("metrics: [bleu, chrf]", "metrics: [bleu, chrf, bleu]", "metrics:", "metrics.2", "duplicate metric 'bleu'"),
    ("  - name: again", "  - name: seed-mt  ", "- name: seed-mt  ", "systems.1.name",
     "duplicate system name 'seed-mt'"),
    ("  - name: again", "  - name: 'bad/name'", "bad/name", "systems.1.name", "invalid system name 'bad/name'"),
    ("source: " + str(SEED / "source.zh"), "source: " + str(SEED / "nope.zh"), "nope.zh", "corpora.0.source",
     "file not found: "),
    ("[" + str(SEED / "reference.en") + "]", "[" + str(SEED / "nope.en") + "]", "nope.en", "corpora.0.references.0",
     "file not found: "),
    ("    path: " + str(SEED / "seed-mt.en.txt") + "\n    level: document\n  - name: again",
     "    path: missing.txt\n    level: document\n  - name: again", "missing.txt", "systems.0.path",
     "file not found: missing.txt"),
    ("    level: document\n  - name: again", "    level: document\n    corpora: [wmt]\n  - name: again",
     "corpora: [wmt]", "systems.0.corpora", "no corpus named 'wmt'"),
    ("name: trial", "name: trial\noutput: [a, b]", "output:", "output", "expected str, got list"),
])
def test_bad_config_names_file_line_and_key(tmp_path, old, new, needle, key, problem):
    text = edit(BASE, old, new)
    path = write(tmp_path, text)
    message = error(path)
    assert message.startswith(f"{path}:{line_of(text, needle)}: {key}: "), message
    assert problem in message


def test_missing_required_key_names_the_file(tmp_path):
    text = BASE[:BASE.index("systems:")]
    path = write(tmp_path, text)
    assert error(path) == f"{path}:1: systems: missing required key"


def test_missing_corpus_key_names_the_item(tmp_path):
    text = edit(BASE, "    source: " + str(SEED / "source.zh") + "\n", "")
    path = write(tmp_path, text)
    message = error(path)
    assert message.startswith(f"{path}:{line_of(text, '- name: xinhua')}: corpora.0.source: missing required key")


def test_duplicate_corpus_names(tmp_path):
    corpus = BASE[BASE.index("  - name: xinhua"):BASE.index("systems:")]
    text = edit(BASE, "systems:", corpus + "systems:")
    path = write(tmp_path, text)
    assert error(path).startswith(f"{path}:{text.split(chr(10)).index('  - name: xinhua', 3) + 1}: corpora.1.name: "
                                  f"duplicate corpus name 'xinhua'")


def test_duplicate_yaml_key(tmp_path):
    text = edit(BASE, "metrics: [bleu, chrf]", "metrics: [bleu]\nmetrics: [chrf]")
    path = write(tmp_path, text)
    assert error(path) == f"{path}:{line_of(text, 'metrics: [chrf]')}: duplicate key 'metrics'"


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    text = edit(BASE, "metrics: [bleu, chrf]", "metrics: [bleu, chrf")
    path = write(tmp_path, text)
    message = error(path)
    assert re.match(rf"{re.escape(str(path))}:\d+: YAML syntax error: ", message), message
    text = edit(BASE, "    level: document\n  - name: again", "    level: document\n   bad: indent\n  - name: again")
    path = write(tmp_path, text)
    assert error(path).startswith(f"{path}:{line_of(text, 'bad: indent')}: YAML syntax error")


@pytest.mark.parametrize("value", ["!!python/object/apply:os.system ['touch {marker}']",
                                   "!!python/object/apply:os.system {{command: 'touch {marker}'}}",
                                   "!!python/name:os.system", "!!python/tuple [a, b]", "!mytag x"])
def test_yaml_is_loaded_safely(tmp_path, value):
    marker = tmp_path / "pwned"
    text = edit(BASE, "name: trial", "name: " + value.format(marker=marker))
    path = write(tmp_path, text)
    message = error(path)
    assert message.startswith(f"{path}:1: ") and ("tag" in message or "constructor" in message), message
    assert not marker.exists()


def test_recursive_alias_is_an_error(tmp_path):
    path = write(tmp_path, "name: &x [a, *x]\n")
    assert error(path) == f"{path}:1: recursive YAML alias"


def test_dates_stay_as_written(tmp_path):
    cfg = load_config(write(tmp_path, edit(BASE, "name: trial", "name: 2021-04-13")))
    assert cfg.name == "2021-04-13" and len(cfg.sha256()) == 64


@pytest.mark.parametrize("text,problem", [
    ("", "config is empty"),
    ("# only a comment\n", "config is empty"),
    ("- a\n- b\n", "the config must be a mapping"),
    ("corpora: {}\nsystems: []\n", "corpora: expected list, got dict"),
    ("corpora: []\nsystems: []\n", "corpora: must list at least one item"),
    ("1: x\n", "mapping keys must be strings"),
])
def test_degenerate_configs(tmp_path, text, problem):
    path = write(tmp_path, text)
    message = error(path)
    assert message.startswith(str(path)) and problem in message, message


def test_config_file_problems_are_config_errors(tmp_path):
    assert error(tmp_path / "absent.yaml") == f"{tmp_path / 'absent.yaml'}: file not found"
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"name: caf\xe9\n")
    assert error(bad).startswith(f"{bad}:1: invalid UTF-8 at byte offset 9")


def test_environment_variables_are_expanded(tmp_path, monkeypatch):
    text = edit(BASE, "name: trial", "name: ${RUN_NAME}\noutput: ${RUN_OUT:-out/default}")
    path = write(tmp_path, text)
    monkeypatch.setenv("RUN_NAME", "from-env")
    monkeypatch.delenv("RUN_OUT", raising=False)
    cfg = load_config(path)
    assert cfg.name == "from-env" and str(cfg.output) == "out/default"
    monkeypatch.delenv("RUN_NAME")
    assert error(path) == f"{path}:1: environment variable ${{RUN_NAME}} is not set and has no default"


def test_overrides_scalar_list_item_by_name_and_index(tmp_path):
    path = write(tmp_path, BASE)
    cfg = load_config(path, ["output=elsewhere", "metrics=[ter]", "systems.again.level=document",
                             "systems.seed-mt.corpora=[xinhua]", "corpora.0.tgt_lang=de", "report=false"])
    assert str(cfg.output) == "elsewhere" and cfg.metrics == ["ter"]
    assert cfg.systems[0]["corpora"] == ["xinhua"] and cfg.corpora[0]["tgt_lang"] == "de"
    assert cfg.data["report"] is False


def test_override_of_a_name_with_dots(tmp_path):
    text = edit(BASE, "  - name: again", "  - name: seed.v2")
    path = write(tmp_path, text)
    cfg = load_config(path, ["systems.seed.v2.level=segment"])
    assert cfg.systems[1]["name"] == "seed.v2" and cfg.systems[1]["level"] == "segment"


@pytest.mark.parametrize("override,message", [
    ("metrics=[bleu, blue]", "--set metrics: metrics.1: unknown metric 'blue'"),
    ("systems.again.level=page", "--set systems.again.level: systems.1.level: 'page' is not one of"),
    ("systems.again.path=/nonexistent/file", "--set systems.again.path: systems.1.path: file not found"),
    ("systems.again.batch=3", "--set systems.again.batch: systems.1.batch: unknown key"),
    ("name=[1]", "--set name: name: expected str, got list"),
    ("systems.nobody.level=segment", "--set systems.nobody.level=segment: no list item 'nobody' under systems"),
    ("systems.7.level=segment", "--set systems.7.level=segment: no list item '7' under systems"),
    ("metrics", "--set metrics: expected KEY=VALUE"),
    ("name.first=x", "--set name.first=x: name is not a mapping or list"),
])
def test_override_errors_name_the_override(tmp_path, override, message):
    path = write(tmp_path, BASE)
    got = error(path, [override])
    assert got.startswith(message), got


def test_overriding_a_whole_item_forgets_its_file_lines(tmp_path):
    path = write(tmp_path, BASE)
    got = error(path, ["systems.1={name: again, backend: file, path: nowhere.txt}"])
    assert got.startswith("--set systems.1: systems.1.path: file not found: nowhere.txt"), got


def test_null_for_an_optional_key_means_its_default(tmp_path):
    cfg = load_config(write(tmp_path, edit(BASE, "name: trial", "name: trial\noutput: ~")))
    assert str(cfg.output) == "results/trial"
    text = edit(BASE, "metrics: [bleu, chrf]", "metrics: ~")
    path = write(tmp_path, text)  # metrics defaults to a list, not null: null is a type error
    assert error(path) == f"{path}:{line_of(text, 'metrics: ~')}: metrics: expected list, got NoneType None"


def test_defaults_are_not_shared_between_configs(tmp_path):
    path = write(tmp_path, BASE.replace("metrics: [bleu, chrf]\n", ""))
    load_config(path).metrics.append("ter")
    assert load_config(path).metrics == ["bleu", "chrf", "chrf++", "ter"]
