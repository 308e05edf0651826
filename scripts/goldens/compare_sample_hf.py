"""Check `npm start`-style output against real Python transformers, row for row.

Runs transformers' apply_chat_template(tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
on every conversation of samples/data (files in sorted order, like chatshard's reader), with the sample
tokenizer and template, and compares input_ids / attention_mask / assistant_masks with a dataset written
by `chatshard run pipeline/hf-parity.json` (mask rule hf, empty rows kept), opened with datasets.load_from_disk.

Usage: node dist/cli/main.js run pipeline/hf-parity.json --overwrite
       .venv-ref/bin/python scripts/goldens/compare_sample_hf.py [out/sample-hf]
Exit 0 when every row is identical.
"""
import glob
import gzip
import json
import os
import shutil
import sys
import tempfile

from datasets import load_from_disk
from transformers import PreTrainedTokenizerFast

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "out/sample-hf")

tmp = tempfile.mkdtemp()
with gzip.open(os.path.join(root, "samples/tokenizer/tokenizer.json.gz"), "rb") as src, open(os.path.join(tmp, "tokenizer.json"), "wb") as dst:
    shutil.copyfileobj(src, dst)
shutil.copy(os.path.join(root, "samples/tokenizer/tokenizer_config.json"), tmp)
tok = PreTrainedTokenizerFast.from_pretrained(tmp)
template = open(os.path.join(root, "samples/qwen2_5_training.jinja"), encoding="utf-8").read()


def sharegpt_to_messages(row):
    """The same mapping as chatshard's normalize stage (human→user, gpt→assistant, function_call, observation)."""
    roles = {"human": "user", "gpt": "assistant", "system": "system", "observation": "tool", "tool": "tool"}
    msgs, n, pending = [], 0, []
    if row.get("system"):
        msgs.append({"role": "system", "content": row["system"]})
    for t in row["conversations"]:
        if t["from"] == "function_call":
            calls = json.loads(t["value"])
            calls = calls if isinstance(calls, list) else [calls]
            tc = []
            for c in calls:
                n += 1
                tc.append({"id": f"call_{n:05d}", "type": "function", "function": {"name": c["name"], "arguments": c.get("arguments", {})}})
                pending.append((f"call_{n:05d}", c["name"]))
            msgs.append({"role": "assistant", "content": "", "tool_calls": tc})
            continue
        m = {"role": roles.get(t["from"], t["from"]), "content": t["value"]}
        if m["role"] == "tool" and pending:
            cid, name = pending.pop(0)
            m["tool_call_id"], m["name"] = cid, name
        msgs.append(m)
    tools = row.get("tools")
    if isinstance(tools, str):
        tools = json.loads(tools) if tools.strip() else None
    if tools:
        tools = [t if "type" in t else {"type": "function", "function": t} for t in tools]
    return msgs, tools or None


ds = load_from_disk(out)
files = sorted(glob.glob(os.path.join(root, "samples/data/**/*.jsonl"), recursive=True))
i = bad = 0
for path in files:
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        row = json.loads(line)
        if "conversations" in row:
            messages, tools = sharegpt_to_messages(row)
        else:
            messages, tools = row["messages"], row.get("tools") or None
        enc = tok.apply_chat_template(messages, tools=tools, chat_template=template, tokenize=True, return_dict=True,
                                      return_assistant_tokens_mask=True)
        got = ds[i]
        for k in ("input_ids", "attention_mask", "assistant_masks"):
            if list(got[k]) != list(enc[k]):
                bad += 1
                print(f"row {i} ({os.path.basename(path)}): {k} differs")
                break
        i += 1
print(json.dumps({"rows_compared": i, "dataset_rows": len(ds), "rows_differing": bad}))
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(0 if bad == 0 and i == len(ds) else 1)
