// Writes one JSONL row holding one very long conversation, for memory measurements on long rows:
// the messages of real rows (default ../shared/data/sgd_train.messages.jsonl), in file order, with
// roles re-labelled to alternate user/assistant, until the row's JSON reaches --mb megabytes.
// Usage: node scripts/long-conversation.mjs <out.jsonl> [--mb 5] [--data file.jsonl]
import { createReadStream, existsSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const out = args[0];
if (!out || out.startsWith('--')) {
  console.error('usage: node scripts/long-conversation.mjs <out.jsonl> [--mb 5] [--data file.jsonl]');
  process.exit(2);
}
const shared = join(root, '../shared/data/sgd_train.messages.jsonl');
const data = opt('--data', existsSync(shared) ? shared : join(root, 'samples/data/sgd_multiturn.messages.jsonl'));
const limit = Number(opt('--mb', '5')) * 2 ** 20;

const messages = [];
let bytes = 20;
outer: for (;;) {
  let added = 0;
  for await (const line of createInterface({ input: createReadStream(data), crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    for (const m of JSON.parse(line).messages ?? []) {
      if (typeof m.content !== 'string' || m.content === '') continue;
      const msg = { role: messages.length % 2 === 0 ? 'user' : 'assistant', content: m.content };
      // Stop once past the size, after an assistant turn (the row ends with a trainable answer).
      if (bytes >= limit && msg.role === 'user') break outer;
      messages.push(msg);
      bytes += Buffer.byteLength(JSON.stringify(msg)) + 1;
      added++;
    }
  }
  if (added === 0) throw new Error(`${data}: no messages with text content`);
}
const row = JSON.stringify({ messages });
writeFileSync(out, row + '\n');
console.log(JSON.stringify({ out, messages: messages.length, mb: +(Buffer.byteLength(row) / 2 ** 20).toFixed(2) }));
