"""Python reference for `npm run bench -- --python`: transformers + datasets on the same data, tokenizer
and template as chatshard's bench (masks on, max_length 4096), num_proc as given, then save_to_disk.

Usage: .venv-ref/bin/python scripts/bench_python.py DATA.jsonl TOKENIZER_DIR TEMPLATE.jinja [NUM_PROC] [MAX_ROWS]
Prints one JSON line like scripts/bench-case.mjs. The timed region starts after the imports, like chatshard's
(tokenizer load, reading, map and save_to_disk); scripts/bench.mjs also times the whole process from outside.
"""
import gzip
import json
import os
import resource
import shutil
import sys
import tempfile
import time

import pyarrow.compute as pc
from datasets import Dataset
from transformers import PreTrainedTokenizerFast

data, tok_dir, template_path = sys.argv[1:4]
num_proc = int(sys.argv[4]) if len(sys.argv) > 4 else 2
max_rows = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[5] else None


def cpu():
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


cpu0 = cpu()
start = time.perf_counter()
tmp = tempfile.mkdtemp(prefix="chatshard-bench-py-")
tok_json = os.path.join(tok_dir, "tokenizer.json")
if not os.path.exists(tok_json):
    with gzip.open(tok_json + ".gz", "rb") as src, open(os.path.join(tmp, "tokenizer.json"), "wb") as dst:
        shutil.copyfileobj(src, dst)
    shutil.copy(os.path.join(tok_dir, "tokenizer_config.json"), tmp)
    tok_dir = tmp
tokenizer = PreTrainedTokenizerFast.from_pretrained(tok_dir)
template = open(template_path, encoding="utf-8").read()

rows = []
with open(data, encoding="utf-8") as f:
    for line in f:
        if line.strip():
            rows.append(json.loads(line))
            if max_rows and len(rows) >= max_rows:
                break

ds = Dataset.from_list([{"messages": r["messages"]} for r in rows])


def encode(batch):
    out = {"input_ids": [], "attention_mask": [], "assistant_masks": []}
    for messages in batch["messages"]:
        enc = tokenizer.apply_chat_template(
            messages, chat_template=template, tokenize=True, return_dict=True,
            return_assistant_tokens_mask=True, truncation=True, max_length=4096,
        )
        for k in out:
            out[k].append(enc[k])
    return out


ds = ds.map(encode, batched=True, num_proc=num_proc, remove_columns=["messages"])
out_dir = os.path.join(tmp, "out")
ds.save_to_disk(out_dir)
seconds = time.perf_counter() - start
cpu_seconds = cpu() - cpu0
# From the Arrow column's list lengths (no padding, so every mask value is 1): counting through
# ds["attention_mask"] would build 4M Python ints and add seconds to the whole-process time.
tokens = pc.sum(pc.list_value_length(ds.data.column("attention_mask"))).as_py()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
shutil.rmtree(tmp, ignore_errors=True)
print(json.dumps({"case": f"python-transformers(num_proc={num_proc})", "rows": len(rows), "tokens": tokens, "seconds": seconds, "cpuSeconds": cpu_seconds, "rssMB": rss}))
