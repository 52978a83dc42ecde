"""`type: hf`: a Hugging Face dataset from the hub, or a local directory (`save_to_disk`, or data files)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from ..config.schema import Located, Option
from ..errors import CorpusError
from ..net import unreachable
from .base import LOADERS, Corpus, CorpusLoader
from .fields import FIELDS, LANG_OPTIONS, column_keys, complete_fields, corpus_from_columns
from .table import quiet_datasets


def hub_url() -> str:
    """The hub endpoint `datasets` downloads from (`HF_ENDPOINT`, as huggingface_hub reads it)."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def is_local(dataset: str) -> bool:
    return dataset.startswith((".", "/", "~")) or Path(dataset).expanduser().exists()


def _cache_dirs() -> tuple[Path, Path]:
    """The hub download cache and the `datasets` cache, as `huggingface_hub` and `datasets` locate them."""
    home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")).expanduser()
    hub = Path(os.environ.get("HF_HUB_CACHE", home / "hub")).expanduser()
    data = Path(os.environ.get("HF_DATASETS_CACHE", home / "datasets")).expanduser()
    return hub, data


def cached(dataset: str) -> bool:
    """Whether some copy of hub dataset `dataset` is in the local caches (then `datasets` may load it offline)."""
    hub, data = _cache_dirs()
    names = {f"datasets--{dataset.replace('/', '--')}".lower(), dataset.replace("/", "___").lower()}
    return any(p.name.lower() in names for d in (hub, data) if d.is_dir() for p in d.iterdir())


@LOADERS.register("hf")
class HfLoader(CorpusLoader):
    """A Hugging Face dataset split; the hub needs the internet unless the dataset is already cached."""

    options: ClassVar[list[Option]] = [
        Option("dataset", "str", "Hub dataset id, or a local directory (`save_to_disk` output or data files).",
               example="wmt/wmt19"),
        Option("config", "str", "Dataset configuration (subset) name.", default=None, example="zh-en"),
        Option("split", "str", "Split to evaluate.", default="test", example="validation"),
        Option("revision", "str", "Hub revision (branch, tag or commit) to pin.", default=None, example="main"),
        Option("reference_config", "str", "Read the reference fields from this other configuration of the dataset "
               "(one language per configuration, as in FLORES+); rows are matched by `fields.id` when set.",
               default=None, example="eng_Latn"),
        FIELDS,
        *LANG_OPTIONS,
    ]

    @classmethod
    def prepare(cls, values: dict[str, Any], loc: Located, path: tuple) -> None:
        dataset = values["dataset"]
        if is_local(dataset) and not Path(dataset).expanduser().is_dir():
            raise loc.error(path + ("dataset",), f"dataset directory not found: {dataset}")
        complete_fields(values, loc, path)

    @classmethod
    def load(cls, values: dict[str, Any]) -> Corpus:
        dataset, config, split = values["dataset"], values["config"], values["split"]
        origin = f"{dataset} [{'/'.join(x for x in (config, split) if x)}]"
        local = is_local(dataset)
        if not local and not cached(dataset):
            reason = unreachable(hub_url())
            if reason:
                args = ", ".join(repr(a) for a in (dataset, config) if a)
                raise CorpusError(
                    f"Hugging Face dataset {dataset!r} is not in the local cache ({_cache_dirs()[0]}) and the hub "
                    f"cannot be used: {reason}. Provide it locally: where online, run "
                    f"datasets.load_dataset({args}, split={split!r}).save_to_disk(DIR) and set `dataset: DIR`, "
                    f"or export it to a .jsonl file and use `type: table`"
                )
        ds = _open(values, config, origin)
        rows = {name: list(ds[name]) for name in ds.column_names}
        provenance = {"type": "hf", "dataset": dataset, "config": config, "split": split,
                      "revision": values["revision"], "fingerprint": getattr(ds, "_fingerprint", None)}
        ref_rows = None
        if values["reference_config"]:
            ref_config = values["reference_config"]
            ref_origin = f"{dataset} [{ref_config}/{split}]"
            ref_ds = _open(values, ref_config, ref_origin)
            ref_rows = _align({name: list(ref_ds[name]) for name in ref_ds.column_names}, rows,
                              values["fields"]["id"], ref_origin, origin)
            provenance.update(reference_config=ref_config, reference_fingerprint=getattr(ref_ds, "_fingerprint", None))
        return corpus_from_columns(values, rows, origin, None, provenance, ref_rows)


def _open(values: dict[str, Any], config: str | None, origin: str) -> Any:
    """The split of `values["dataset"]` (a local `save_to_disk` directory, or anything `load_dataset` takes)."""
    datasets = quiet_datasets()
    dataset, split = values["dataset"], values["split"]
    try:
        if is_local(dataset) and _saved(Path(dataset).expanduser()):
            ds = datasets.load_from_disk(str(Path(dataset).expanduser()))
            if isinstance(ds, datasets.DatasetDict):
                if split not in ds:
                    raise CorpusError(f"{dataset}: no split {split!r} (splits: {', '.join(ds)})")
                ds = ds[split]
            return ds
        if is_local(dataset):  # a folder of data files: read afresh (the datasets cache keys on mtime only)
            with tempfile.TemporaryDirectory(prefix="mteval-datasets-") as cache:
                return datasets.load_dataset(str(Path(dataset).expanduser()), config, split=split, cache_dir=cache,
                                             keep_in_memory=True)
        return datasets.load_dataset(dataset, config, split=split, revision=values["revision"])
    except CorpusError:
        raise
    except Exception as exc:  # noqa: BLE001  datasets raises many untyped errors: report them in one line
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CorpusError(f"{origin}: cannot load the dataset: {message}") from None


def _align(ref_rows: dict[str, list[Any]], rows: dict[str, list[Any]], id_field: str | None, ref_origin: str,
           origin: str) -> dict[str, list[Any]]:
    """Reference rows in the order of the source rows: matched by id when `id_field` is set, else by position."""
    n_ref, n_src = len(next(iter(ref_rows.values()), [])), len(next(iter(rows.values()), []))
    if id_field is None:
        if n_ref != n_src:
            raise CorpusError(f"row counts differ: {origin} has {n_src} rows, {ref_origin} has {n_ref} rows "
                              f"(set fields.id to match rows by id)")
        return ref_rows
    ref_ids = column_keys(ref_rows, id_field, ref_origin)
    index = {seg_id: i for i, seg_id in enumerate(ref_ids)}
    order = []
    for i, seg_id in enumerate(column_keys(rows, id_field, origin)):
        if seg_id not in index:
            raise CorpusError(f"{origin}: row {i + 1}: id {seg_id!r} has no row in {ref_origin}")
        order.append(index[seg_id])
    return {name: [values[j] for j in order] for name, values in ref_rows.items()}


def _saved(path: Path) -> bool:
    """A `save_to_disk` directory (a Dataset or a DatasetDict)."""
    return (path / "dataset_dict.json").is_file() or (path / "state.json").is_file()
