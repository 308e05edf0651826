#!/usr/bin/env node
/**
 * Regenerates (or with --check, verifies) the two code-point tables the own BPE engine needs because
 * V8's Unicode data is newer than the Rust tokenizer's:
 *   - PUNCTUATION (src/tokenize/bpe/pre-tokenizer.ts): what Rust's `Punctuation` pre-tokenizer splits;
 *   - NEWER_THAN_RUST (src/tokenize/bpe/unicode-age.ts): code points V8 knows as assigned that the
 *     Rust regex tables still treat as unassigned (`\p{Cn}`).
 * The Rust side is read off the Python `tokenizers` binding (same Rust core as the npm binding),
 * code point by code point. Run after `npm run build`; needs a newer Node or tokenizers release.
 *
 *   PYTHON=.venv-ref/bin/python node scripts/goldens/unicode-tables.mjs          # print the tables
 *   PYTHON=.venv-ref/bin/python node scripts/goldens/unicode-tables.mjs --check  # exit 1 on drift
 */
import { execFileSync } from 'node:child_process';
import { PUNCTUATION } from '../../dist/tokenize/bpe/pre-tokenizer.js';
import { NEWER_THAN_RUST } from '../../dist/tokenize/bpe/unicode-age.js';

const PY = String.raw`
import json, sys
from tokenizers import pre_tokenizers, Regex
cps = [c for c in range(0x110000) if not (0xD800 <= c < 0xE000)]
def removed(pt, sep):
    # code points the pre-tokenizer removes (Split 'removed') when joined by a separator it keeps
    out = []
    for i in range(0, len(cps), 20000):
        part = cps[i:i + 20000]
        kept = set()
        for _, (a, b) in pt.pre_tokenize_str(sep.join(chr(c) for c in part)):
            kept.update(range(a, b))
        out += [c for j, c in enumerate(part) if 2 * j not in kept]
    return out
def isolated(pt):
    out = set()
    for i in range(0, len(cps), 20000):
        part = cps[i:i + 20000]
        for piece, _ in pt.pre_tokenize_str('a'.join(chr(c) for c in part)):
            if len(piece) == 1 and piece != 'a':
                out.add(ord(piece))
    return sorted(out)
json.dump({
    'punct': isolated(pre_tokenizers.Punctuation(behavior='isolated')),
    'cn': removed(pre_tokenizers.Split(Regex(r'\p{Cn}'), behavior='removed'), '\x00'),
}, sys.stdout)
`;

const python = process.env.PYTHON ?? '.venv-ref/bin/python';
const rust = JSON.parse(execFileSync(python, ['-c', PY], { maxBuffer: 1 << 28, encoding: 'utf8' }));
const v8Unassigned = /^\p{Cn}$/u;
const codePoints = [];
for (let c = 0; c < 0x110000; c++) if (c < 0xd800 || c >= 0xe000) codePoints.push(c);

const punct = new Set(rust.punct);
const rustCn = new Set(rust.cn);
const newer = new Set(codePoints.filter((c) => rustCn.has(c) && !v8Unassigned.test(String.fromCodePoint(c))));

if (process.argv.includes('--check')) {
  let bad = 0;
  for (const [name, want, re] of [
    ['PUNCTUATION', punct, PUNCTUATION],
    ['NEWER_THAN_RUST', newer, NEWER_THAN_RUST],
  ]) {
    const one = new RegExp(`^(?:${re.source})$`, re.flags.replace('g', ''));
    const diff = codePoints.filter((c) => one.test(String.fromCodePoint(c)) !== want.has(c));
    if (diff.length) bad++;
    console.log(
      `${name}: ${want.size} code points, ${diff.length} differ${
        diff.length
          ? ': ' +
            diff
              .slice(0, 10)
              .map((c) => c.toString(16))
              .join(' ')
          : ''
      }`,
    );
  }
  process.exit(bad ? 1 : 0);
}

/** Sorted code points as regex class ranges in the source's escape style. */
function ranges(set) {
  const esc = (c) => (c > 0xffff ? `\\u{${c.toString(16)}}` : `\\u${c.toString(16).padStart(4, '0')}`);
  const sorted = [...set].sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(i === j ? esc(sorted[i]) : `${esc(sorted[i])}-${esc(sorted[j])}`);
    i = j + 1;
  }
  return out.join('');
}
console.log(`PUNCTUATION (${punct.size}):\n${ranges(punct)}\n`);
console.log(`NEWER_THAN_RUST (${newer.size}):\n${ranges(newer)}`);
