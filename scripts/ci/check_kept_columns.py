#!/usr/bin/env python3
"""Check the kept input columns (`--keep-columns`) of a chatshard dataset against its input.

Usage: check_kept_columns.py DIR INPUT.jsonl [INPUT.jsonl ...]

The inputs are the run's JSON-lines files in the order chatshard read them. Every input row that is
not in DIR/rejects.jsonl must come back, in order, with the value of each kept column (from
summary.json `kept_columns`): equal for string / int64 / float64 / bool columns, `json.loads` of the
text equal for json columns, None for a missing or null field. Checked three ways: datasets
(load_from_disk for an Arrow folder, load_dataset for `--format parquet`; features too), pyarrow (IPC
stream shards or Parquet files) and polars. Prints one line `kept-columns: ...` and exits 1 on the
first difference.
"""
import glob
import json
import os
import sys

import datasets
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

FEATURE = {"string": "string", "json": "string", "int64": "int64", "float64": "float64", "bool": "bool"}
ARROW = {"string": pa.string(), "json": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}
POLARS = {"string": pl.String, "json": pl.String, "int64": pl.Int64, "float64": pl.Float64, "bool": pl.Boolean}


def fail(msg):
    print(f"kept-columns: FAILED {msg}")
    sys.exit(1)


def expected(folder, inputs, kinds):
    rejected = set()
    path = os.path.join(folder, "rejects.jsonl")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            rejected = {json.loads(line)["index"] for line in f if line.strip()}
    rows, index = [], 0
    for name in inputs:
        with open(name, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                if index not in rejected:
                    row = json.loads(line)
                    rows.append({k: row.get(k) for k in kinds})
                index += 1
    return rows


def compare(lib, got, want, kinds):
    if len(got) != len(want):
        fail(f"{lib}: {len(got)} rows, expected {len(want)}")
    for i, (g, w) in enumerate(zip(got, want)):
        for col, kind in kinds.items():
            value = g[col]
            if kind == "json" and value is not None:
                value = json.loads(value)
            if value != w[col] or (w[col] is not None and type(value) is not type(w[col]) and kind != "float64"):
                fail(f"{lib}: row {i} column {col} = {g[col]!r}, input has {w[col]!r}")


def main():
    folder, inputs = sys.argv[1], sys.argv[2:]
    with open(os.path.join(folder, "summary.json"), encoding="utf-8") as f:
        kinds = json.load(f).get("kept_columns") or {}
    if not kinds:
        fail("summary.json has no kept_columns (run without --keep-columns?)")
    want = expected(folder, inputs, kinds)
    cols = list(kinds)

    parquet = sorted(glob.glob(os.path.join(folder, "data", "train-*.parquet")))
    if parquet:
        how = "load_dataset"
        ds = datasets.load_dataset(folder, split="train")
        table = pa.concat_tables([pq.read_table(f) for f in parquet])
        frame = pl.concat([pl.read_parquet(f) for f in parquet]).select(cols)
    else:
        how = "load_from_disk"
        ds = datasets.load_from_disk(folder)
        with open(os.path.join(folder, "state.json"), encoding="utf-8") as f:
            shards = [os.path.join(folder, d["filename"]) for d in json.load(f)["_data_files"]]
        tables = []
        for path in shards:
            with pa.memory_map(path) as source:
                tables.append(pa.ipc.open_stream(source).read_all())
        table = pa.concat_tables(tables)
        frame = pl.from_arrow(table).select(cols)

    for col, kind in kinds.items():
        feature = ds.features.get(col)
        if not isinstance(feature, datasets.Value) or feature.dtype != FEATURE[kind]:
            fail(f"{how}: feature {col} is {feature!r}, expected Value('{FEATURE[kind]}')")
    compare(how, ds.select_columns(cols).to_list(), want, kinds)

    for col, kind in kinds.items():
        if not table.schema.field(col).type.equals(ARROW[kind]):
            fail(f"pyarrow: {col} is {table.schema.field(col).type}, expected {ARROW[kind]}")
    compare("pyarrow", table.select(cols).to_pylist(), want, kinds)

    for col, kind in kinds.items():
        if frame.schema[col] != POLARS[kind]:
            fail(f"polars: {col} is {frame.schema[col]}, expected {POLARS[kind]}")
    compare("polars", frame.to_dicts(), want, kinds)

    nulls = sum(1 for r in want for c in cols if r[c] is None)
    print(
        f"kept-columns: {len(want)} rows, columns "
        + ", ".join(f"{c} ({k})" for c, k in kinds.items())
        + f", {nulls} nulls: datasets {datasets.__version__} {how}, pyarrow {pa.__version__}, "
        f"polars {pl.__version__} read the input's values"
    )


if __name__ == "__main__":
    main()
