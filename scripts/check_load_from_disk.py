#!/usr/bin/env python3
"""Open a chatshard output folder with `datasets.load_from_disk` and check what it sees.

Usage: check_load_from_disk.py DIR [--max-rows N]

Prints one JSON object (versions, row count, features, Arrow types, first rows, errors)
and exits 1 when a check fails. Needs `datasets` (any of 3.x/4.x/5.x) installed.
"""
import argparse
import json
import sys

import datasets
import pyarrow as pa

EXPECTED = {
    "input_ids": pa.list_(pa.int32()),
    "attention_mask": pa.list_(pa.int8()),
    "assistant_masks": pa.list_(pa.int8()),
    "labels": pa.list_(pa.int32()),
}
# Kept input columns (--keep-columns) are scalar columns of these types after the token columns.
KEPT_TYPES = (pa.string(), pa.int64(), pa.float64(), pa.bool_())


def check_row(i, row, errors):
    ids, att, asm = row["input_ids"], row["attention_mask"], row["assistant_masks"]
    labels = row.get("labels")
    n = len(ids)
    if len(att) != n or len(asm) != n or (labels is not None and len(labels) != n):
        errors.append(f"row {i}: column lengths differ")
        return
    for k in range(n):
        if asm[k] == 1 and att[k] != 1:
            errors.append(f"row {i}: assistant mask on padding at {k}")
            return
        if labels is not None and labels[k] != (ids[k] if asm[k] == 1 else -100):
            errors.append(f"row {i}: labels[{k}]={labels[k]} inconsistent")
            return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--max-rows", type=int, default=10000, help="rows to check value invariants on")
    args = ap.parse_args()

    errors = []
    ds = datasets.load_from_disk(args.dir)
    if not isinstance(ds, datasets.Dataset):
        errors.append(f"load_from_disk returned {type(ds).__name__}, expected Dataset")
    table = ds.data.table if hasattr(ds.data, "table") else ds.data
    arrow_types = {f.name: str(f.type) for f in table.schema}
    for name, typ in EXPECTED.items():
        if name not in arrow_types:
            if name != "labels":
                errors.append(f"missing column {name}")
            continue
        if not table.schema.field(name).type.equals(typ):
            errors.append(f"column {name}: arrow type {arrow_types[name]}, expected {typ}")
    for name in arrow_types:
        if name not in EXPECTED and not any(table.schema.field(name).type.equals(t) for t in KEPT_TYPES):
            errors.append(f"unexpected column {name}")

    for i, row in enumerate(ds.select(range(min(args.max_rows, len(ds))))):
        check_row(i, row, errors)

    out = {
        "datasets_version": datasets.__version__,
        "pyarrow_version": pa.__version__,
        "num_rows": len(ds),
        "columns": ds.column_names,
        "features": {k: repr(v) for k, v in ds.features.items()},
        "arrow_types": arrow_types,
        "fingerprint": ds._fingerprint,
        "first_rows": [ds[i] for i in range(min(3, len(ds)))],
        "ok": not errors,
        "errors": errors[:50],
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    sys.exit(0 if not errors else 1)


if __name__ == "__main__":
    main()
