#!/usr/bin/env python3
"""Check a chatshard `--format parquet` output with the tools people read Parquet with.

Usage: check_parquet.py PARQUET_DIR [ARROW_DIR]

- datasets.load_dataset(PARQUET_DIR, split="train") loads it; with ARROW_DIR (the same run with
  `--format arrow`), its features equal load_from_disk(ARROW_DIR)'s and every row is equal;
- pyarrow reads every `data/train-*.parquet`: list<int32>/list<int8> columns, the `huggingface`
  metadata key, zstd compression, row groups of at most 1000 rows;
- polars and DuckDB (when installed) read the same rows and token count.

Prints one JSON object and exits 1 when a check fails. Run it with the reference venv's python,
e.g. `.venv-ref/bin/python scripts/check_parquet.py out/pq out/arrow`.
"""
import glob
import json
import os
import sys

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

EXPECTED = {
    "input_ids": pa.list_(pa.int32()),
    "attention_mask": pa.list_(pa.int8()),
    "assistant_masks": pa.list_(pa.int8()),
    "labels": pa.list_(pa.int32()),
}
MAX_ROW_GROUP_ROWS = 1000


def check_files(files, errors):
    rows = tokens = 0
    for f in files:
        pf = pq.ParquetFile(f)
        schema = pf.schema_arrow
        meta = schema.metadata or {}
        if b"huggingface" not in meta:
            errors.append(f"{f}: no huggingface metadata key")
        for field in schema:
            want = EXPECTED.get(field.name)
            if want is None:
                errors.append(f"{f}: unexpected column {field.name}")
            elif not field.type.equals(want):
                errors.append(f"{f}: column {field.name} is {field.type}, expected {want}")
        md = pf.metadata
        for g in range(md.num_row_groups):
            rg = md.row_group(g)
            if rg.num_rows > MAX_ROW_GROUP_ROWS:
                errors.append(f"{f}: row group {g} has {rg.num_rows} rows")
            for c in range(rg.num_columns):
                if rg.column(c).compression != "ZSTD":
                    errors.append(f"{f}: row group {g} column {c} is {rg.column(c).compression}, expected ZSTD")
        table = pf.read()
        rows += table.num_rows
        tokens += sum(len(x) for x in table.column("input_ids").to_pylist())
    return rows, tokens


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = sys.argv[1]
    ref_dir = sys.argv[2] if len(sys.argv) == 3 else None
    errors = []
    files = sorted(glob.glob(os.path.join(out, "data", "train-*.parquet")))
    if not files:
        errors.append(f"{out}: no data/train-*.parquet")
    n = len(files)
    for i, f in enumerate(files):
        want = f"train-{i:05d}-of-{n:05d}.parquet"
        if os.path.basename(f) != want:
            errors.append(f"{f}: expected name {want}")
    rows, tokens = check_files(files, errors)

    ds = datasets.load_dataset(out, split="train")
    report = {
        "datasets_version": datasets.__version__,
        "pyarrow_version": pa.__version__,
        "files": n,
        "rows": len(ds),
        "tokens": tokens,
        "features": {k: repr(v) for k, v in ds.features.items()},
    }
    if len(ds) != rows:
        errors.append(f"load_dataset gives {len(ds)} rows, pyarrow {rows}")
    if ref_dir:
        ref = datasets.load_from_disk(ref_dir)
        report["features_equal_arrow"] = ref.features == ds.features
        if ref.features != ds.features:
            errors.append(f"features differ: parquet {ds.features} vs arrow {ref.features}")
        if len(ref) != len(ds):
            errors.append(f"{len(ds)} rows vs {len(ref)} in the Arrow output")
        else:
            a = ds.data.table.combine_chunks()
            b = ref.data.table.combine_chunks()
            report["rows_equal_arrow"] = a.equals(b)
            if not a.equals(b):
                errors.append("rows differ from the Arrow output")

    try:
        import polars as pl

        df = pl.read_parquet(os.path.join(out, "data", "*.parquet"))
        report["polars"] = {"rows": df.height, "schema": {k: str(v) for k, v in df.schema.items()}}
        if df.height != rows:
            errors.append(f"polars reads {df.height} rows, expected {rows}")
    except ImportError:
        report["polars"] = "not installed"
    try:
        import duckdb

        pattern = os.path.join(out, "data", "*.parquet").replace("'", "''")
        got = duckdb.sql(f"select count(*), coalesce(sum(len(input_ids)), 0) from '{pattern}'").fetchone()
        report["duckdb"] = {"rows": got[0], "tokens": int(got[1])}
        if got[0] != rows or int(got[1]) != tokens:
            errors.append(f"duckdb reads {got[0]} rows / {got[1]} tokens, expected {rows} / {tokens}")
    except ImportError:
        report["duckdb"] = "not installed"

    report["ok"] = not errors
    report["errors"] = errors[:50]
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")
    sys.exit(0 if not errors else 1)


if __name__ == "__main__":
    main()
