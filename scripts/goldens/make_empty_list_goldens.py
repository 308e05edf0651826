#!/usr/bin/env python3
"""Goldens for empty lists as values: `tools: []` and `documents: []` rendered by transformers itself.

transformers passes an empty list to the template as it is (`tools is not none` is true, `tools` is
falsy) and picks a tokenizer's `tool_use` template whenever `tools is not None`. Templates that
test `tools is not none` (Llama 3.x: "Environment: ipython", Mistral: "[AVAILABLE_TOOLS][]",
Cohere, functionary ...) render differently from a row without tools.

For every curated conformance template that mentions `tools` (or `documents`), this renders the
contexts tools_empty / documents_empty (tools_available / documents_rag with the list emptied)
through transformers' own `render_jinja_template` (strftime_now pinned to FIXED_NOW, as the other
goldens) and appends the results to test/fixtures/conformance/goldens.json, replacing earlier ones.

Run with the reference venv:  /work/.venv-ref/bin/python scripts/goldens/make_empty_list_goldens.py
(or any python with transformers 5.x; pass its path, e.g. $PYTHON, nothing is hard-coded).
"""
import copy
import json
import os
from datetime import datetime

import transformers.utils.chat_template_utils as ctu

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "test", "fixtures", "conformance")
FIXED_NOW = datetime(2025, 3, 14, 9, 26, 53)
RESERVED = {"messages", "tools", "documents", "add_generation_prompt", "continue_final_message"}


class PinnedDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        return FIXED_NOW


ctu.datetime = PinnedDatetime  # strftime_now reads the module's datetime at call time


def utf16_spans(text, spans):
    table = [0]
    for ch in text:
        table.append(table[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return [[table[a], table[b]] for a, b in spans]


def render(source, ctx):
    kwargs = {k: v for k, v in ctx.items() if k not in RESERVED}
    try:
        rendered, indices = ctu.render_jinja_template(
            conversations=[ctx["messages"]],
            tools=ctx.get("tools"),
            documents=ctx.get("documents"),
            chat_template=source,
            return_assistant_tokens_mask=True,
            add_generation_prompt=ctx.get("add_generation_prompt", False),
            **kwargs,
        )
        text = rendered[0]
        return {"rendered": text, "error": None, "generation_spans_utf16": utf16_spans(text, indices[0])}
    except Exception as e:  # the golden records Python's exception line
        return {"rendered": None, "error": f"{type(e).__name__}: {e}", "generation_spans_utf16": None}


def main():
    contexts = {}
    for name, base, key in [("tools_empty", "tools_available", "tools"), ("documents_empty", "documents_rag", "documents")]:
        with open(os.path.join(FIX, "contexts", base + ".json"), encoding="utf-8") as f:
            ctx = copy.deepcopy(json.load(f))
        ctx[key] = []
        with open(os.path.join(FIX, "contexts", name + ".json"), "w", encoding="utf-8") as f:
            json.dump(ctx, f, ensure_ascii=False, indent=1)
            f.write("\n")
        contexts[name] = (ctx, key)

    with open(os.path.join(FIX, "goldens.json"), encoding="utf-8") as f:
        goldens = [g for g in json.load(f) if g["context"] not in contexts]
    added = 0
    for fname in sorted(os.listdir(os.path.join(FIX, "templates"))):
        if not fname.endswith(".jinja"):
            continue
        with open(os.path.join(FIX, "templates", fname), encoding="utf-8") as f:
            source = f.read()
        for name, (ctx, key) in contexts.items():
            if key not in source:
                continue
            goldens.append({"template": fname[: -len(".jinja")], "context": name, **render(source, ctx)})
            added += 1
    with open(os.path.join(FIX, "goldens.json"), "w", encoding="utf-8") as f:  # one golden per line
        f.write("[\n" + ",\n".join(json.dumps(g, ensure_ascii=False, separators=(",", ":")) for g in goldens) + "\n]\n")
    print(f"{added} empty-list goldens written")


if __name__ == "__main__":
    main()
