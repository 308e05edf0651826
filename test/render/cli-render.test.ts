/** `chatshard render` matches `run` (issue 16 item 10), tested on the pure parts of the command. */
import { describe, expect, it } from 'vitest';
import { renderArgs, renderLine } from '../../src/cli/render.js';
import { UsageError } from '../../src/cli/config.js';
import { compileTemplate } from '../../src/render/index.js';
import { conv } from '../helpers.js';

const chat = conv({
  messages: [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'hello' },
    { role: 'user', content: 'again' },
    { role: 'assistant', content: 'bye' },
  ],
});
const plain = compileTemplate('{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}');

describe('render flags', () => {
  it("defaults are run's: masks auto, assistant role, stdin when no --input", () => {
    expect(renderArgs({})).toMatchObject({
      masks: 'auto',
      rolesToTrain: ['assistant'],
      trainOnEot: 'turn',
      lastTurnOnly: false,
      input: ['-'],
      text: false,
    });
    expect(renderArgs({ input: ['a.jsonl', 'b.jsonl'] }).input).toEqual(['a.jsonl', 'b.jsonl']);
  });

  it('a bad --now, bad --template-kwargs and --continue-final-message with --add-generation-prompt are usage errors', () => {
    expect(() => renderArgs({ now: 'yesterday' })).toThrow(new UsageError('--now must be an ISO date, got yesterday'));
    expect(() => renderArgs({ templateKwargs: '[1]' })).toThrow('--template-kwargs must be a JSON object');
    expect(() => renderArgs({ continueFinalMessage: true, addGenerationPrompt: true })).toThrow(
      '--continue-final-message and --add-generation-prompt are incompatible (as in transformers)',
    );
  });
});

describe('renderLine', () => {
  it('infers spans for a template without generation tags by default (render used to give none)', () => {
    const line = renderLine(chat, plain, renderArgs({}));
    expect(line.error).toBeNull();
    expect(line.rendered).toBe('user: hi\nassistant: hello\nuser: again\nassistant: bye\n');
    expect(line.generation_spans!.map(([s, e]) => line.rendered!.slice(s, e))).toEqual([
      // No generation prompt in this template: the role header belongs to the assistant's turn.
      'assistant: hello',
      'assistant: bye',
    ]);
    expect(renderLine(chat, plain, renderArgs({ masks: 'generation' })).generation_spans).toEqual([]);
  });

  it('honours the training controls as run does', () => {
    const last = renderLine(chat, plain, renderArgs({ lastTurnOnly: true }));
    expect(last.generation_spans!.map(([s, e]) => last.rendered!.slice(s, e))).toEqual(['assistant: bye']);
  });

  it('--continue-final-message leaves the last message open', () => {
    const t = compileTemplate(
      '{% for m in messages %}<{{ m.role }}>{{ m.content }}</{{ m.role }}>{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}',
    );
    const line = renderLine(chat, t, renderArgs({ continueFinalMessage: true }));
    expect(line.rendered!.endsWith('<assistant>bye')).toBe(true);
  });

  it('keeps the rendered text when mask inference fails', () => {
    // Reversed turns: the spans cannot be inferred in order, but the template renders.
    const reversed = compileTemplate('{% for m in messages|reverse %}{{ m.role }}: {{ m.content }}\n{% endfor %}');
    const line = renderLine(chat, reversed, renderArgs({}));
    expect(line.rendered).toBe('assistant: bye\nuser: again\nassistant: hello\nuser: hi\n');
    expect(line.generation_spans).toBeNull();
    expect(line.error).toMatch(/^MaskInferenceError: cannot infer the mask of messages\[3\] \(assistant\)/);
  });
});
