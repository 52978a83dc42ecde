"""`type: wmt-systems`: a WMT submissions folder (sources/, references/, system-outputs/); every system output
found becomes a system of the corpus."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, ClassVar

from ..config.schema import NAME_CHARS, Located, Option, valid_name
from ..errors import CorpusError
from ..textio import check_aligned, read_lines
from .base import LOADERS, Corpus, CorpusLoader

_PAIR_RE = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")


def _root(path: str) -> Path:
    """The folder holding sources/ references/ system-outputs/: `path` itself or its `txt/` (the WMT repo root)."""
    p = Path(path)
    return p / "txt" if not (p / "sources").is_dir() and (p / "txt" / "sources").is_dir() else p


def layout(values: dict[str, Any]) -> tuple[Path, dict[str, Path], dict[str, Path]]:
    """Source file, references {name: file} and system outputs {name: file} for the test set and pair."""
    root = _root(values["path"])
    src, tgt = values["pair"].split("-")
    stem = f"{values['testset']}.{values['pair']}"

    def named(folder: str, kind: str) -> dict[str, Path]:  # '<stem>.<kind>.<NAME>.<tgt>' → {NAME: path}
        files = sorted((root / folder).glob(f"{stem}.{kind}.*.{tgt}"))
        return {p.name[len(stem) + len(kind) + 2:-len(tgt) - 1]: p for p in files}

    return root / "sources" / f"{stem}.src.{src}", named("references", "ref"), named("system-outputs", "hyp")


@LOADERS.register("wmt-systems")
class WmtSystemsLoader(CorpusLoader):
    """A WMT submissions folder (the `txt/` layout of wmt-conference/wmtNN-news-systems)."""

    provides_systems = True

    options: ClassVar[list[Option]] = [
        Option("path", "str", "The folder with sources/, references/, system-outputs/ (or the repo root with txt/).",
               example="${WMT22_DIR:-../shared/data/wmt22-general-zhen}"),
        Option("testset", "str", "Test set name in the file names.", example="generaltest2022"),
        Option("pair", "str", "Language pair, source-target.", example="zh-en"),
        Option("references", "list[str]", "Reference names to score against (default: every one found).",
               default=None, example=["A", "B"]),
        Option("systems", "list[str]", "Only these system outputs (default: every one found).", default=None,
               example=["Online-B", "NiuTrans"]),
    ]

    @classmethod
    def prepare(cls, values: dict[str, Any], loc: Located, path: tuple) -> None:
        if not _PAIR_RE.match(values["pair"]):
            raise loc.error(path + ("pair",), f"expected a language pair like zh-en, got {values['pair']!r}")
        if not Path(values["path"]).is_dir():
            raise loc.error(path + ("path",), f"folder not found: {values['path']}")
        source, refs, hyps = layout(values)
        if not source.is_file():
            raise loc.error(path + ("path",), f"no source file {source} (check testset and pair)")
        for key, found in (("references", refs), ("systems", hyps)):
            for i, name in enumerate(values[key] or []):
                if name not in found:
                    raise loc.error(path + (key, i), f"{name!r} not found in {values['path']} "
                                                     f"(found: {', '.join(found) or 'none'})")
        if not hyps:
            raise loc.error(path + ("path",), f"no system outputs in {source.parent.parent / 'system-outputs'} "
                                              f"matching {values['testset']}.{values['pair']}.hyp.*."
                                              f"{values['pair'].split('-')[1]}")
        for name in hyps:
            if not valid_name(name):
                raise loc.error(path + ("path",), f"system output {hyps[name]}: {name!r} is not a usable "
                                                  f"system name ({NAME_CHARS})")

    @classmethod
    def load(cls, values: dict[str, Any]) -> Corpus:
        source, refs, hyps = layout(values)
        if not hyps:
            raise CorpusError(f"{source.parent.parent / 'system-outputs'}: no system outputs for "
                              f"{values['testset']}.{values['pair']}")
        refs = {name: refs[name] for name in values["references"] or refs}
        hyps = {name: hyps[name] for name in values["systems"] or hyps}
        sources = read_lines(source)
        ref_lines = {name: read_lines(path) for name, path in refs.items()}
        check_aligned([(str(source), sources)] + [(str(refs[n]), lines) for n, lines in ref_lines.items()])
        outputs: dict[str, list[str]] = {}
        files: dict[str, dict[str, str]] = {}
        for name, path in hyps.items():
            lines = read_lines(path)
            check_aligned([(f"system output {path}", lines), (f"source {source}", sources)])
            outputs[name] = lines
            files[name] = {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
        src_lang, tgt_lang = values["pair"].split("-")
        return Corpus(
            name=values["name"],
            src_lang=src_lang,
            tgt_lang=tgt_lang,
            sources=sources,
            references=list(ref_lines.values()),
            provenance={"type": "wmt-systems", "path": values["path"], "testset": values["testset"],
                        "pair": values["pair"], "source": str(source),
                        "references": {n: str(p) for n, p in refs.items()}, "outputs": files},
            outputs=outputs,
            origins=[str(source), *(str(p) for p in refs.values())],
        )
