#!/usr/bin/env python3
"""Compare chatshard's packed output with TRL's ``pack_dataset`` applied to chatshard's unpacked output.

Two modes:

1. Run chatshard and compare, for each strategy (default bfd, bfd_split, wrapped):

       $PYTHON scripts/pack-parity.py --input samples/data --tokenizer samples/tokenizer \\
           --chat-template samples/qwen2_5_training.jinja --max-length 1024 [--window 1000] [--work DIR] \\
           [-- extra chatshard run flags]

   per strategy it writes an unpacked dataset (for bfd with ``--max-length L``, as TRL's bfd keeps the first L
   tokens anyway; for bfd_split / wrapped without truncation) and a packed one (``--packing --packing-strategy S
   --max-length L --packing-window W --position-ids``), then compares.

2. Compare two existing folders: ``--unpacked DIR --packed DIR --strategy S --max-length L [--window W]``.

Comparison: ``trl.data_utils.pack_dataset(load_from_disk(unpacked), seq_length=L, strategy=S,
map_kwargs={"batch_size": W})`` must equal ``load_from_disk(packed)`` row for row in every column TRL writes
(input_ids, attention_mask, assistant_masks, labels, and seq_lengths for bfd / bfd_split), with the same feature
types. Extra chatshard columns are checked against the boundaries: position_ids restart at 0 at every sequence, and
with --segment-ids the attention_mask holds 1, 2, 3, ... per sequence. Exit status 0 when everything matches; one
result line per strategy.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import datasets
from datasets import load_from_disk
from trl.data_utils import pack_dataset

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
datasets.disable_progress_bars()




def compare(unpacked, packed, strategy, L, window):
    ref = pack_dataset(load_from_disk(unpacked), seq_length=L, strategy=strategy, map_kwargs={"batch_size": window})
    got = load_from_disk(packed)
    problems = []
    if len(ref) != len(got):
        problems.append(f"rows: TRL {len(ref)}, chatshard {len(got)}")
    segment_ids = str(got.features["attention_mask"].feature.dtype) == "int32"
    ref_cols = ref[:]
    got_cols = got[:]
    for col in ref.column_names:
        if col not in got.column_names:
            problems.append(f"column {col} missing")
            continue
        if col == "attention_mask" and segment_ids:
            flat = [[1 if v > 0 else 0 for v in r] for r in got_cols[col]]
            if flat != ref_cols[col]:
                problems.append("attention_mask (segment ids > 0) differs")
            continue
        if str(ref.features[col]) != str(got.features[col]):
            problems.append(f"{col} type: TRL {ref.features[col]}, chatshard {got.features[col]}")
        if ref_cols[col] != got_cols[col]:
            bad = next(i for i, (a, b) in enumerate(zip(ref_cols[col], got_cols[col])) if a != b) if len(ref) == len(got) else "?"
            problems.append(f"{col} differs (first at row {bad})")
    seqs = got_cols.get("seq_lengths")
    if "position_ids" in got.column_names:
        for i, pos in enumerate(got_cols["position_ids"]):
            if seqs is not None:
                want = [p for n in seqs[i] for p in range(n)]
                if pos != want:
                    problems.append(f"position_ids do not restart at seq_lengths (row {i})")
                    break
            elif pos[:1] != [0][: len(pos)] or any(b not in (0, a + 1) for a, b in zip(pos, pos[1:])):
                problems.append(f"position_ids malformed (row {i})")
                break
    if segment_ids and seqs is not None:
        for i, att in enumerate(got_cols["attention_mask"]):
            want = [k + 1 for k, n in enumerate(seqs[i]) for _ in range(n)]
            if att != want:
                problems.append(f"segment ids differ from seq_lengths (row {i})")
                break
    tokens = sum(len(r) for r in got_cols["input_ids"])
    return problems, len(got), tokens


def chatshard(args, out, extra):
    cmd = ["node", os.path.join(ROOT, "dist", "cli", "main.js"), "run", "--output", out, "--overwrite", "--progress", "false"]
    for i in args.input:
        cmd += ["--input", i]
    cmd += ["--tokenizer", args.tokenizer]
    if args.chat_template:
        cmd += ["--chat-template", args.chat_template]
    subprocess.run(cmd + extra + args.rest, check=True, stdout=subprocess.DEVNULL)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--input", action="append")
    p.add_argument("--tokenizer")
    p.add_argument("--chat-template")
    p.add_argument("--unpacked")
    p.add_argument("--packed")
    p.add_argument("--strategy", action="append", choices=["bfd", "bfd_split", "wrapped"])
    p.add_argument("--max-length", type=int, required=True)
    p.add_argument("--window", type=int, default=1000)
    p.add_argument("--segment-ids", action="store_true", help="also write and check segment ids")
    p.add_argument("--work", help="folder for the datasets (default: a temporary folder)")
    p.add_argument("rest", nargs="*", help="extra chatshard run flags (after --)")
    args = p.parse_args()
    strategies = args.strategy or ["bfd", "bfd_split", "wrapped"]
    L, W = args.max_length, args.window
    failed = False
    if args.unpacked:
        for s in strategies:
            problems, rows, tokens = compare(args.unpacked, args.packed, s, L, W)
            print(f"pack-parity {s} L={L} W={W}: {'OK' if not problems else 'FAIL ' + '; '.join(problems)} ({rows} rows, {tokens} tokens)")
            failed |= bool(problems)
        return 1 if failed else 0
    if not (args.input and args.tokenizer):
        p.error("give --input and --tokenizer, or --unpacked and --packed")
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or tmp
        for s in strategies:
            t0 = time.time()
            unpacked = os.path.join(work, f"unpacked-{s}")
            packed = os.path.join(work, f"packed-{s}")
            chatshard(args, unpacked, ["--max-length", str(L)] if s == "bfd" else [])
            extra = ["--packing", "--packing-strategy", s, "--max-length", str(L), "--packing-window", str(W), "--position-ids"]
            chatshard(args, packed, extra + (["--segment-ids"] if args.segment_ids else []))
            problems, rows, tokens = compare(unpacked, packed, s, L, W)
            fill = tokens / (rows * L) if rows else 0
            status = "OK" if not problems else "FAIL " + "; ".join(problems)
            print(f"pack-parity {s} L={L} W={W}: {status} ({rows} packed rows, fill {fill:.4f}, {time.time() - t0:.1f}s)")
            failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
