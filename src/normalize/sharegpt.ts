import type { Message } from '../types.js';

/** ShareGPT `from` values → chat roles. `function_call` becomes an assistant tool call. */
const ROLE_OF: Record<string, string> = {
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  assistant: 'assistant',
  chatgpt: 'assistant',
  bing: 'assistant',
  bard: 'assistant',
  model: 'assistant',
  system: 'system',
  observation: 'tool',
  tool: 'tool',
  function: 'tool',
};

export class NormalizeError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Parse a `function_call` value (`{"name":…,"arguments":…}`, or a list of them) into OpenAI tool calls. */
function toolCallsFrom(value: unknown, turn: number, nextId: () => string): unknown[] {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new NormalizeError('invalid_message', `conversations[${turn}]: function_call value is not JSON`);
    }
  }
  const calls = Array.isArray(parsed) ? parsed : [parsed];
  return calls.map((c) => {
    if (c === null || typeof c !== 'object' || typeof (c as { name?: unknown }).name !== 'string') {
      throw new NormalizeError('invalid_message', `conversations[${turn}]: function_call needs a "name"`);
    }
    const { name, arguments: args } = c as { name: string; arguments?: unknown };
    return { id: nextId(), type: 'function', function: { name, arguments: args ?? {} } };
  });
}

/**
 * ShareGPT `conversations: [{from, value}]` → OpenAI messages. `human`→user, `gpt`→assistant,
 * `function_call`→assistant with `tool_calls`, `observation`/`tool`→tool (linked to the preceding call).
 * A top-level `system` string becomes the first message. `roleMap` names more `from` values (it wins).
 */
export function fromShareGpt(turns: unknown[], system?: unknown, roleMap?: Record<string, string>): Message[] {
  const messages: Message[] = [];
  if (typeof system === 'string' && system !== '') messages.push({ role: 'system', content: system });
  let callCount = 0;
  const nextId = () => `call_${String(++callCount).padStart(5, '0')}`;
  const pendingCalls: { id: string; name: string }[] = [];
  turns.forEach((t, i) => {
    if (t === null || typeof t !== 'object' || Array.isArray(t)) {
      throw new NormalizeError('invalid_message', `conversations[${i}] is not an object`);
    }
    const { from, value, ...rest } = t as { from?: unknown; value?: unknown };
    if (typeof from !== 'string') throw new NormalizeError('invalid_message', `conversations[${i}] has no "from"`);
    if (from === 'function_call') {
      const toolCalls = toolCallsFrom(value, i, nextId) as { id: string; function: { name: string } }[];
      pendingCalls.push(...toolCalls.map((c) => ({ id: c.id, name: c.function.name })));
      messages.push({ role: 'assistant', content: '', tool_calls: toolCalls });
      return;
    }
    const role = roleMap?.[from] ?? ROLE_OF[from] ?? from;
    const msg: Message = { ...rest, role, content: value };
    if (role === 'tool') {
      const call = pendingCalls.shift();
      if (call) Object.assign(msg, { tool_call_id: call.id, name: call.name });
    }
    messages.push(msg);
  });
  return messages;
}

/**
 * `tools` as given, except that a JSON string is parsed (LLaMA-Factory stores them that way) and, when
 * `wrapBare`, bare function specs `{name, parameters}` become OpenAI `{type: "function", function}`.
 * An empty list is a value, as in Python: transformers passes `tools=[]` to the template (where
 * `tools is not none` holds) and picks the `tool_use` template for it. Only null/absent and an
 * empty string (LLaMA-Factory's "no tools") mean no tools.
 */
export function normalizeTools(tools: unknown, wrapBare = false): unknown[] | undefined {
  let parsed = tools;
  if (typeof tools === 'string') {
    if (tools.trim() === '') return undefined;
    try {
      parsed = JSON.parse(tools);
    } catch {
      throw new NormalizeError('invalid_tools', '"tools" is a string but not valid JSON');
    }
  }
  if (parsed === undefined || parsed === null) return undefined;
  if (!Array.isArray(parsed)) throw new NormalizeError('invalid_tools', '"tools" must be a list');
  if (!wrapBare) return parsed;
  return parsed.map((t) =>
    t && typeof t === 'object' && !('type' in t) && 'name' in t ? { type: 'function', function: t } : t,
  );
}
