#!/usr/bin/env python3
"""Write the input-format fixtures in test/fixtures/formats/ from samples/data (run from the repo root).

Usage: make_format_fixtures.py   (needs datasets + pyarrow; the zstd CLI for chats.jsonl.zst)

- chats.jsonl: 40 glaive tool-call rows + 20 sgd multi-turn rows (the reference input);
- chats.parquet: the same rows as Arrow structs (pyarrow's inference, what Hub Parquet files hold:
  messages are list<struct> with the union of all messages' keys, missing ones null), `tools` as a
  JSON string (differently shaped JSON schemas cannot share one struct without gaining null keys);
- chats.json.parquet: the same rows through datasets 5's `load_dataset("json")`, which stores
  messages as its `Json` feature (the `arrow.json` extension type);
- save_to_disk/: `Dataset.save_to_disk(num_shards=2)` of that datasets 5 dataset;
- chats.jsonl.zst: chats.jsonl compressed with zstd;
- chats.renamed.jsonl: the same conversations under other names (conversation / speaker / text,
  human / bot roles, functions for tools), for the field-mapping options.
"""
import json
import os
import subprocess

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

OUT = "test/fixtures/formats"


def rows():
    out = []
    with open("samples/data/glaive_toolcall_en.messages.jsonl") as f:
        out += [json.loads(l) for l in f if l.strip()]
    with open("samples/data/sgd_multiturn.messages.jsonl") as f:
        out += [{"messages": json.loads(l)["messages"]} for l in f if l.strip()][:20]
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    data = rows()
    with open(f"{OUT}/chats.jsonl", "w") as f:
        for r in data:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    tabular = [{**r, "tools": json.dumps(r["tools"], ensure_ascii=False) if "tools" in r else None} for r in data]
    with open(f"{OUT}/tabular.tmp.jsonl", "w") as f:
        for r in tabular:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    ds = datasets.load_dataset("json", data_files=f"{OUT}/tabular.tmp.jsonl", split="train")
    os.remove(f"{OUT}/tabular.tmp.jsonl")
    ds.to_parquet(f"{OUT}/chats.json.parquet")
    ds.save_to_disk(f"{OUT}/save_to_disk", num_shards=2)
    pq.write_table(pa.Table.from_pylist(tabular), f"{OUT}/chats.parquet", compression="zstd")
    subprocess.run(["zstd", "-q", "-f", "-19", f"{OUT}/chats.jsonl", "-o", f"{OUT}/chats.jsonl.zst"], check=True)
    with open(f"{OUT}/chats.renamed.jsonl", "w") as f:
        for r in data:
            conv = []
            for m in r["messages"]:
                m = dict(m)
                role = m.pop("role")
                content = m.pop("content")
                conv.append({"speaker": {"user": "human", "assistant": "bot"}.get(role, role), "text": content, **m})
            out = {"conversation": conv}
            if "tools" in r:
                out["functions"] = r["tools"]
            f.write(json.dumps(out, ensure_ascii=False) + "\n")
    print(ds)


if __name__ == "__main__":
    main()
