import type { Message } from '../types.js';
import { NormalizeError } from './sharegpt.js';

interface Part {
  type: string;
  value: unknown;
}

/** True for LLaMA-Factory v1 content: a list of `{type: text|reasoning|tool_call, value}` parts. */
export function isLlamaFactoryParts(content: unknown): content is Part[] {
  return (
    Array.isArray(content) &&
    content.length > 0 &&
    content.every(
      (p) =>
        p && typeof p === 'object' && 'value' in p && ['text', 'reasoning', 'tool_call'].includes((p as Part).type),
    )
  );
}

/**
 * LLaMA-Factory v1 parts → OpenAI fields: text parts joined into `content`, reasoning parts into
 * `reasoning_content`, tool_call parts (JSON `{name, arguments}`) into `tool_calls`.
 */
export function fromLlamaFactoryParts(msg: Message, parts: Part[], where: string, nextId: () => string): Message {
  const text: string[] = [];
  const reasoning: string[] = [];
  const calls: unknown[] = [];
  for (const p of parts) {
    if (p.type === 'text') text.push(String(p.value));
    else if (p.type === 'reasoning') reasoning.push(String(p.value));
    else {
      let call: { name?: unknown; arguments?: unknown };
      try {
        call = typeof p.value === 'string' ? JSON.parse(p.value) : (p.value as typeof call);
      } catch {
        throw new NormalizeError('invalid_message', `${where}: tool_call part is not JSON`);
      }
      if (!call || typeof call.name !== 'string')
        throw new NormalizeError('invalid_message', `${where}: tool_call needs a "name"`);
      calls.push({ id: nextId(), type: 'function', function: { name: call.name, arguments: call.arguments ?? {} } });
    }
  }
  const out: Message = { ...msg, content: text.join('') };
  if (reasoning.length > 0) out.reasoning_content = reasoning.join('');
  if (calls.length > 0) out.tool_calls = calls;
  return out;
}
