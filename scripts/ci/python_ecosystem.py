#!/usr/bin/env python3
"""Open a dataset folder chatshard wrote with the Python libraries users load it with.

Usage: python_ecosystem.py DIR ROWS

Checks, each against the dataset's own row count (ROWS, from summary.json):
  * datasets.load_from_disk: row count, the columns and their Arrow types, label/mask consistency
    on every row (scripts/check_load_from_disk.py does the per-row checks);
  * pyarrow: every shard read as an Arrow IPC stream, same schema, total row count;
  * polars: the shards read with polars, same columns and row count, token sums equal pyarrow's.
Prints one line `python-ecosystem: ...` naming what it checked and the library versions, and exits
1 on the first failure.
"""
import json
import os
import sys

import datasets
import polars as pl
import pyarrow as pa

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from check_load_from_disk import EXPECTED, check_row  # noqa: E402


def fail(msg):
    print(f"python-ecosystem: FAILED {msg}")
    sys.exit(1)


def main():
    folder, rows = sys.argv[1], int(sys.argv[2])
    with open(os.path.join(folder, "state.json"), encoding="utf-8") as f:
        shards = [os.path.join(folder, d["filename"]) for d in json.load(f)["_data_files"]]

    ds = datasets.load_from_disk(folder)
    if ds.num_rows != rows:
        fail(f"load_from_disk: {ds.num_rows} rows, summary.json says {rows}")
    for name, typ in EXPECTED.items():
        if name not in ds.features:
            if name != "labels":
                fail(f"load_from_disk: no {name} column")
            continue
        if not ds.data.schema.field(name).type.equals(typ):
            fail(f"load_from_disk: {name} is {ds.data.schema.field(name).type}, expected {typ}")
    errors = []
    for i, row in enumerate(ds):
        check_row(i, row, errors)
        if errors:
            fail(f"load_from_disk: {errors[0]}")

    tables = []
    for path in shards:
        with pa.memory_map(path) as source:
            tables.append(pa.ipc.open_stream(source).read_all())
    table = pa.concat_tables(tables)
    if table.num_rows != rows:
        fail(f"pyarrow: {table.num_rows} rows, expected {rows}")
    if table.schema.names != list(ds.features):
        fail(f"pyarrow: columns {table.schema.names} differ from load_from_disk's {list(ds.features)}")
    arrow_tokens = sum(len(v) for v in table.column("input_ids").to_pylist())

    frame = pl.concat([pl.from_arrow(t) for t in tables])
    if frame.height != rows or frame.columns != table.schema.names:
        fail(f"polars: {frame.height} rows, columns {frame.columns}")
    polars_tokens = int(frame["input_ids"].list.len().sum())
    if polars_tokens != arrow_tokens:
        fail(f"polars counts {polars_tokens} tokens, pyarrow {arrow_tokens}")

    print(
        f"python-ecosystem: {rows} rows, {len(shards)} shard(s), {arrow_tokens} tokens, columns "
        f"{','.join(table.schema.names)}: datasets {datasets.__version__} load_from_disk (types, labels/masks "
        f"on every row), pyarrow {pa.__version__} IPC read, polars {pl.__version__} from_arrow - all agree"
    )


if __name__ == "__main__":
    main()
