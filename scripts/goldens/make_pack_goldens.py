#!/usr/bin/env python3
"""Reference ("golden") outputs of TRL's ``pack_dataset`` for chatshard's pack stage.

What it generates: ``test/fixtures/pack/trl_pack.json``. Each case is a list of row lengths, a packed length L, a
window W (``datasets.map`` batch size) and a strategy; the fixture records what real TRL

    trl.data_utils.pack_dataset(dataset, seq_length=L, strategy=..., map_kwargs={"batch_size": W})

returns for a dataset whose rows have those lengths and whose four columns carry values derived from each token's
position g in the concatenated input (input_ids = g, attention_mask = g % 2, assistant_masks = (g // 2) % 2,
labels = -100 if g % 5 == 0 else 7 * g): the packed row count, ``seq_lengths`` and, per column, the sha256 of the
packed column (for each packed row: its length, then its values, all as little-endian int32). Small cases also keep the packed ``input_ids`` and ``seq_lengths`` in full for readable test failures.
Values derived from g make every token distinguishable, so the hashes pin which token lands where, column by
column.

Row lengths come from:
- TRL's own docstring examples (run with their literal values as well);
- edge cases: rows longer than L, empty rows, windows of one row, L = 1, all rows empty, ties;
- real data: the token counts chatshard writes (no truncation) for the embedded samples (samples/data: English and
  Chinese, multi-turn, tool calls; lengths 33..8k tokens) with the samples tokenizer and template. The script runs
  ``node dist/cli/main.js run`` for that, so build first (``npm run build``);
- seeded random lengths with many ties.

The Dataset is built from one Arrow record batch per window, the way chatshard's 1000-row record batches look after
``load_from_disk``. (TRL 1.13's ``_pack_wrapped`` rebuilds each column from ``column.values`` with offsets starting
at 0, which repeats the first window's tokens when a window is a zero-copy slice of a larger chunk, e.g. an
in-memory ``Dataset.from_dict`` of more than W rows. Aligned chunks avoid that defect; chatshard implements the
intended semantics: each window concatenated and cut every L tokens.)

How to run (from the repository root, after ``npm run build``):

    PYTHON=.venv-ref/bin/python; $PYTHON scripts/goldens/make_pack_goldens.py

Deterministic: fixed seeds, fixed case list; the JSON is written with sorted keys.
"""
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
import pyarrow as pa
import datasets
import trl
from datasets import Dataset, load_from_disk
from datasets.table import InMemoryTable
from trl.data_utils import pack_dataset

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "fixtures", "pack", "trl_pack.json")
COLUMNS = ["input_ids", "attention_mask", "assistant_masks", "labels"]
STRATEGIES = ["bfd", "bfd_split", "wrapped"]
FULL_LIMIT = 400  # keep full packed values for cases with at most this many tokens

datasets.disable_progress_bars()


def synth_columns(lengths):
    """The four columns of rows with these lengths, values derived from the global token position."""
    cols = {c: [] for c in COLUMNS}
    g = 0
    for n in lengths:
        ids = list(range(g, g + n))
        cols["input_ids"].append(ids)
        cols["attention_mask"].append([x % 2 for x in ids])
        cols["assistant_masks"].append([(x // 2) % 2 for x in ids])
        cols["labels"].append([-100 if x % 5 == 0 else 7 * x for x in ids])
        g += n
    return cols


def dataset_of(cols, window):
    """One record batch per window, int32 / int8 columns as chatshard writes them."""
    types = {"input_ids": pa.int32(), "attention_mask": pa.int8(), "assistant_masks": pa.int8(), "labels": pa.int32()}
    names = [c for c in COLUMNS if c in cols]
    n = len(cols[names[0]])
    batches = []
    for start in range(0, max(n, 1), window):
        arrays = [pa.array(cols[c][start : start + window], type=pa.list_(types[c])) for c in names]
        batches.append(pa.RecordBatch.from_arrays(arrays, names=names))
    return Dataset(InMemoryTable(pa.Table.from_batches(batches)))


def digest(rows):
    """sha256 over each row's length then values, all as little-endian int32."""
    h = hashlib.sha256()
    for r in rows:
        h.update(np.asarray([len(r)], dtype="<i4").tobytes())
        h.update(np.asarray(r, dtype="<i4").tobytes())
    return h.hexdigest()


def run_trl(cols, L, window, strategy):
    packed = pack_dataset(dataset_of(cols, window), seq_length=L, strategy=strategy, map_kwargs={"batch_size": window})
    out = {"rows": len(packed), "columns": list(packed.column_names), "sha256": {}}
    values = packed[:]
    for c in packed.column_names:
        out["sha256"][c] = digest(values[c])
    feats = packed.features
    out["features"] = {c: str(feats[c]) for c in packed.column_names}
    return values, out


def case(cases, name, lengths, L, window, strategies=STRATEGIES):
    cols = synth_columns(lengths)
    for s in strategies:
        try:
            packed, out = run_trl(cols, L, window, s)
        except Exception as e:  # recorded: TRL 1.13 bfd raises on a window whose rows are all empty
            cases.append(
                {"name": f"{name}__{s}", "strategy": s, "max_length": L, "window": window, "lengths": lengths,
                 "trl": {"error": f"{type(e).__name__}: {e}"}}
            )
            continue
        if sum(lengths) <= FULL_LIMIT:
            out["input_ids"] = packed["input_ids"]
            if "seq_lengths" in packed:
                out["seq_lengths"] = packed["seq_lengths"]
        cases.append({"name": f"{name}__{s}", "strategy": s, "max_length": L, "window": window, "lengths": lengths, "trl": out})


def docstring_cases(cases):
    """TRL's pack_dataset docstring example, with its literal values."""
    examples = {
        "input_ids": [[1, 2, 3, 4, 5], [6, 7], [8, 9, 10], [11]],
        "attention_mask": [[1, 1, 1, 0, 0], [1, 0], [1, 1, 0], [1]],
    }
    for s in ["bfd", "bfd_split"]:
        packed = pack_dataset(Dataset.from_dict(examples), seq_length=4, strategy=s)
        cases.append(
            {
                "name": f"docstring__{s}",
                "strategy": s,
                "max_length": 4,
                "window": 1000,
                "literal": examples,
                "trl": {"rows": len(packed), "columns": list(packed.column_names), "values": dict(packed[:])},
            }
        )


def real_lengths():
    """Token counts of the samples as an unpacked chatshard run writes them (no truncation)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "unpacked")
        subprocess.run(
            [
                "node", os.path.join(ROOT, "dist", "cli", "main.js"), "run",
                "--input", os.path.join(ROOT, "samples", "data"),
                "--tokenizer", os.path.join(ROOT, "samples", "tokenizer"),
                "--chat-template", os.path.join(ROOT, "samples", "qwen2_5_training.jinja"),
                "--now", "2025-03-14T09:26:53", "--output", out,
            ],
            check=True, stdout=subprocess.DEVNULL,
        )
        ds = load_from_disk(out)
        return [len(x) for x in ds[:]["input_ids"]]


def main():
    cases = []
    docstring_cases(cases)
    # Docstring lengths through the synthetic columns too, plus edge cases.
    case(cases, "docstring_lengths", [5, 2, 3, 1], 4, 1000)
    case(cases, "longer_than_L", [9, 4, 17, 1, 8, 3], 4, 1000)
    case(cases, "empty_rows", [0, 3, 0, 0, 5, 2, 0, 1], 4, 1000)
    case(cases, "all_empty", [0, 0, 0], 4, 1000)
    case(cases, "window_of_one", [5, 2, 3, 1, 7, 4], 4, 1)
    case(cases, "L1", [3, 1, 0, 2], 1, 1000)
    case(cases, "L1_window_2", [3, 1, 0, 2, 1], 1, 2)
    case(cases, "single_row", [6], 8, 1000)
    case(cases, "exact_fit", [4, 4, 2, 2, 1, 3], 4, 1000)
    case(cases, "ties", [3, 3, 1, 1, 3, 2, 2, 1, 3, 1, 2, 2], 6, 1000)
    case(cases, "ties_window_5", [3, 3, 1, 1, 3, 2, 2, 1, 3, 1, 2, 2], 6, 5)
    case(cases, "non_pow2_L", [7, 6, 5, 4, 3, 2, 1, 11, 13], 7, 1000)

    real = real_lengths()
    for L in [512, 2048, 4096]:
        for w in [1000, 300, 5000]:
            case(cases, f"samples_L{L}_W{w}", real, L, w)
    case(cases, "samples_L8192_W1000", real, 8192, 1000)

    rng = random.Random(20261129)
    for k in range(12):
        n = rng.choice([1, 2, 7, 50, 300, 1200, 2500])
        L = rng.choice([1, 2, 5, 16, 31, 64, 100, 257])
        w = rng.choice([1, 3, 10, 64, 1000])
        top = rng.choice([1, 3, L, 2 * L, 4 * L + 3])
        lengths = [rng.choice([0, rng.randint(0, top)]) if rng.random() < 0.1 else rng.randint(1, top) for _ in range(n)]
        for start in range(0, n, w):  # a window of only empty rows makes TRL's bfd raise (see all_empty)
            if not any(lengths[start : start + w]):
                lengths[start] = 1
        case(cases, f"random{k}_n{n}_L{L}_W{w}", lengths, L, w)

    fixture = {
        "generator": "scripts/goldens/make_pack_goldens.py",
        "versions": {"trl": trl.__version__, "datasets": datasets.__version__, "pyarrow": pa.__version__},
        "synthetic_values": "g = position in the concatenated input; input_ids g, attention_mask g%2, "
        "assistant_masks (g//2)%2, labels -100 if g%5==0 else 7g",
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    print(f"{len(cases)} cases -> {os.path.relpath(OUT, ROOT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    sys.exit(main())
