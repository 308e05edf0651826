#!/usr/bin/env python3
"""TRL's SFTTrainer trains on a chatshard packed dataset as it is (offline, CPU, a tiny random model).

    $PYTHON scripts/trl-sft-smoke.py OUT --tokenizer samples/tokenizer [--steps 4] [--batch-size 2]

OUT is a ``chatshard run --packing`` output folder (``load_from_disk``); the tokenizer folder is the one the run
used (``tokenizer.json`` or ``tokenizer.json.gz`` + ``tokenizer_config.json``; SFTTrainer wants a processing class
for its pad token). The model is a tiny randomly initialised
Qwen2 built in code (no download) whose vocabulary covers the dataset's token ids. Training uses
``SFTConfig(padding_free=True, dataset_kwargs={"skip_prepare_dataset": True})``: TRL does no tokenizing or packing
of its own, its collator flattens each batch and builds position ids from ``seq_lengths``. Before training, the
script checks on real batches that those position ids restart exactly where ``seq_lengths`` say (and equal the
``position_ids`` column when chatshard wrote one). Prints one line; exit 0 when training ran with finite losses.
"""
import argparse
import gzip
import math
import os
import shutil
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("WANDB_DISABLED", "true")

import datasets  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
import trl  # noqa: E402
from datasets import load_from_disk  # noqa: E402
from transformers import PreTrainedTokenizerFast, PrinterCallback, Qwen2Config, Qwen2ForCausalLM  # noqa: E402
from trl import SFTConfig, SFTTrainer  # noqa: E402

datasets.disable_progress_bars()
transformers.logging.set_verbosity_error()


def load_tokenizer(src, tmp):
    """The run's tokenizer; a gzipped tokenizer.json is unpacked into a temporary copy first."""
    if os.path.exists(os.path.join(src, "tokenizer.json")):
        return PreTrainedTokenizerFast.from_pretrained(src)
    dst = os.path.join(tmp, "tokenizer")
    os.makedirs(dst)
    for name in os.listdir(src):
        if name == "tokenizer.json.gz":
            with gzip.open(os.path.join(src, name)) as f, open(os.path.join(dst, "tokenizer.json"), "wb") as g:
                shutil.copyfileobj(f, g)
        elif os.path.isfile(os.path.join(src, name)):
            shutil.copy(os.path.join(src, name), dst)
    return PreTrainedTokenizerFast.from_pretrained(dst)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dataset")
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=2)
    args = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(min(4, os.cpu_count() or 1))

    ds = load_from_disk(args.dataset)
    if "seq_lengths" not in ds.column_names:
        raise SystemExit(f"{args.dataset}: no seq_lengths column (pack with --packing-strategy bfd or bfd_split)")
    cols = ds[:]
    tmp = tempfile.mkdtemp()
    tokenizer = load_tokenizer(args.tokenizer, tmp)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    vocab = max(len(tokenizer), max(max(r) for r in cols["input_ids"] if r) + 1)
    config = Qwen2Config(
        vocab_size=vocab,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=max(len(r) for r in cols["input_ids"]) * args.batch_size + 1,
        tie_word_embeddings=True,
    )
    model = Qwen2ForCausalLM(config)

    with tempfile.TemporaryDirectory() as out:
        cfg = SFTConfig(
            output_dir=out,
            max_steps=args.steps,
            per_device_train_batch_size=args.batch_size,
            learning_rate=1e-3,
            padding_free=True,
            max_length=None,  # rows are already packed to their length
            dataset_kwargs={"skip_prepare_dataset": True},
            logging_steps=1,
            report_to=[],
            save_strategy="no",
            use_cpu=True,
            dataloader_num_workers=0,
            seed=0,
            disable_tqdm=True,
        )
        trainer = SFTTrainer(model=model, args=cfg, train_dataset=ds, processing_class=tokenizer)
        trainer.remove_callback(PrinterCallback)  # one result line, not a dict per step

        # Position ids from the collator restart where seq_lengths say (and match chatshard's position_ids column).
        checked = 0
        for start in range(0, min(len(ds), 8 * args.batch_size), args.batch_size):
            rows = [ds[i] for i in range(start, min(start + args.batch_size, len(ds)))]
            batch = trainer.data_collator([{k: r[k] for k in ("input_ids", "labels", "seq_lengths")} for r in rows])
            pos = batch["position_ids"][0].tolist()
            want = [i for r in rows for n in r["seq_lengths"] for i in range(n)]
            if pos != want:
                raise SystemExit(f"rows {start}..: collator position_ids do not restart at seq_lengths")
            if "position_ids" in ds.column_names and pos != [i for r in rows for i in r["position_ids"]]:
                raise SystemExit(f"rows {start}..: chatshard position_ids differ from TRL's")
            checked += len(rows)

        result = trainer.train()
        losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
        ok = len(losses) == args.steps and all(math.isfinite(x) for x in losses)
        seqs = sum(len(s) for s in cols["seq_lengths"])
        print(
            f"trl-sft-smoke: {'OK' if ok else 'FAIL'} trl {trl.__version__} transformers {transformers.__version__}: "
            f"{len(ds)} packed rows ({seqs} sequences), position ids checked on {checked} rows, {args.steps} steps, "
            f"loss {losses[0]:.3f} -> {losses[-1]:.3f}, {result.metrics['train_runtime']:.1f}s"
        )
        shutil.rmtree(tmp, ignore_errors=True)
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
