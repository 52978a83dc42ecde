"""`type: sacrebleu`: a test set known to sacreBLEU (`sacrebleu --list`), downloaded by sacreBLEU when needed."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, ClassVar

from ..config.schema import Located, Option
from ..errors import CorpusError
from ..net import unreachable
from ..textio import check_aligned, read_lines
from .base import LOADERS, Corpus, CorpusLoader


def _datasets() -> dict[str, Any]:
    from sacrebleu.dataset import DATASETS

    return DATASETS


def downloaded(ds: Any) -> bool:
    """Whether sacreBLEU already has every raw archive of test set `ds` (then nothing is downloaded)."""
    return all((Path(ds._rawdir) / ds._get_tarball_filename(url)).is_file() for url in ds.data)


@LOADERS.register("sacrebleu")
class SacrebleuLoader(CorpusLoader):
    """A sacreBLEU test set and language pair; all of its references are used."""

    options: ClassVar[list[Option]] = [
        Option("testset", "str", "sacreBLEU test set name (see `sacrebleu --list`).", example="wmt20"),
        Option("pair", "str", "Language pair, source-target.", example="zh-en"),
    ]

    @classmethod
    def prepare(cls, values: dict[str, Any], loc: Located, path: tuple) -> None:
        sets = _datasets()
        name, pair = values["testset"], values["pair"]
        if name not in sets:
            near = difflib.get_close_matches(name, list(sets), n=5) or list(sets)[:5]
            raise loc.error(path + ("testset",), f"unknown sacreBLEU test set {name!r} (did you mean "
                                                 f"{', '.join(near)}? `sacrebleu --list` lists them all)")
        if pair not in sets[name].langpairs:
            raise loc.error(path + ("pair",), f"test set {name} has no pair {pair!r} "
                                              f"(pairs: {', '.join(sorted(sets[name].langpairs))})")

    @classmethod
    def load(cls, values: dict[str, Any]) -> Corpus:
        name, pair = values["testset"], values["pair"]
        ds = _datasets()[name]
        if not downloaded(ds):
            reason = unreachable(ds.data[0])
            if reason:
                raise CorpusError(
                    f"sacreBLEU test set {name} ({pair}) is not downloaded (no {ds._rawdir}) and cannot be: "
                    f"{reason}. Provide it locally: where online, run `sacrebleu -t {name} -l {pair} --echo src` "
                    f"and `--echo ref` into files and use `type: files`, or copy that machine's sacreBLEU folder "
                    f"(~/.sacrebleu, or $SACREBLEU) here"
                )
        try:
            fields = ds.fieldnames(pair)
            files = ds.get_files(pair)
        except (Exception, SystemExit) as exc:  # noqa: BLE001  sacreBLEU raises bare Exception, exits on errors
            raise CorpusError(f"sacreBLEU test set {name} ({pair}): cannot get it: {exc!s:.300}") from None
        by_field = dict(zip(fields, files))
        streams = [(f, read_lines(path)) for f, path in by_field.items() if f == "src" or f.startswith("ref")]
        check_aligned([(by_field[f], lines) for f, lines in streams])
        docs = read_lines(by_field["docid"]) if "docid" in by_field else None
        src_lang, tgt_lang = pair.split("-")
        return Corpus(
            name=values["name"], src_lang=src_lang, tgt_lang=tgt_lang,
            sources=streams[0][1], references=[lines for _, lines in streams[1:]], documents=docs,
            provenance={"type": "sacrebleu", "testset": name, "pair": pair, "files": by_field},
            origins=[by_field[f] for f, _ in streams],
        )
