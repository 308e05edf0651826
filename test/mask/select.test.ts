import { describe, expect, it } from 'vitest';
import {
  selectTaggedSpans,
  SpanSelectionError,
  taggedSelectionProblem,
  type SelectOptions,
} from '../../src/mask/select.js';
import type { Message, Span } from '../../src/types.js';

const OPTS: SelectOptions = { rolesToTrain: new Set(['assistant']), trainOnEot: 'turn', lastTurnOnly: false };
const user = (content: string): Message => ({ role: 'user', content });
const bot = (content: string, extra: Partial<Message> = {}): Message => ({ role: 'assistant', content, ...extra });

describe('selectTaggedSpans', () => {
  // Raw blocks as a render records them: one per assistant message, an empty one where the message rendered nothing.
  const cases: { name: string; raw: Span[]; messages: Message[]; opts?: Partial<SelectOptions>; want: Span[] }[] = [
    {
      name: 'one block per assistant message: all kept',
      raw: [
        [5, 9],
        [20, 26],
      ],
      messages: [user('q1'), bot('a1'), user('q2'), bot('a2')],
      want: [
        [5, 9],
        [20, 26],
      ],
    },
    {
      name: 'train: false drops its own block, even after an empty block',
      raw: [
        [5, 5],
        [20, 26],
        [40, 44],
      ],
      messages: [user('q1'), bot(''), user('q2'), bot('SECRET', { train: false }), user('q3'), bot('a3')],
      want: [[40, 44]],
    },
    {
      name: 'weight: 0 drops its own block, even after an empty block',
      raw: [
        [5, 5],
        [20, 26],
        [40, 44],
      ],
      messages: [user('q1'), bot(''), user('q2'), bot('SECRET', { weight: 0 }), user('q3'), bot('a3')],
      want: [[40, 44]],
    },
    {
      name: 'lastTurnOnly takes the last trainable message, empty or not',
      raw: [
        [5, 10],
        [20, 20],
      ],
      messages: [user('q1'), bot('EARLY'), user('q2'), bot('')],
      opts: { lastTurnOnly: true },
      want: [],
    },
    {
      name: 'lastTurnOnly skips a last message that opted out',
      raw: [
        [5, 10],
        [20, 24],
      ],
      messages: [user('q1'), bot('keep'), user('q2'), bot('skip', { train: false })],
      opts: { lastTurnOnly: true },
      want: [[5, 10]],
    },
    {
      name: 'blocks that do not map, no per-message control: every block kept, overlaps merged, sorted',
      raw: [
        [12, 15],
        [5, 9],
        [8, 12],
      ],
      messages: [user('q1'), bot('a1')],
      want: [
        [5, 12],
        [12, 15],
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(selectTaggedSpans(c.raw, c.messages, { ...OPTS, ...c.opts })).toEqual(c.want);
    });
  }

  it('refuses per-message controls it cannot tie to blocks (counts differ, or nested blocks)', () => {
    const optedOut = [user('q1'), bot('a1', { train: false }), user('q2'), bot('a2')];
    expect(() => selectTaggedSpans([[5, 9]], optedOut, OPTS)).toThrow(SpanSelectionError);
    // Two blocks for two messages, but one inside the other: not one block per message.
    expect(() =>
      selectTaggedSpans(
        [
          [6, 8],
          [5, 9],
        ],
        optedOut,
        OPTS,
      ),
    ).toThrow(/do not map one to one/);
    expect(() =>
      selectTaggedSpans([[5, 9]], [user('q'), bot('a'), user('q'), bot('b')], { ...OPTS, lastTurnOnly: true }),
    ).toThrow(/last_turn_only/);
  });
});

describe('taggedSelectionProblem', () => {
  it('accepts the default roles and names any other choice', () => {
    expect(taggedSelectionProblem(OPTS)).toBeUndefined();
    expect(taggedSelectionProblem({ ...OPTS, rolesToTrain: new Set(['user']) })).toMatch(/\[user\] needs masks infer/);
    expect(taggedSelectionProblem({ ...OPTS, rolesToTrain: new Set(['assistant', 'tool']) })).toMatch(
      /\[assistant, tool\]/,
    );
  });
});
