import type { Conversation, Message, Outcome, RawRow } from '../types.js';
import { fromLlamaFactoryParts, isLlamaFactoryParts } from './parts.js';
import { fromShareGpt, NormalizeError, normalizeTools } from './sharegpt.js';

export { NormalizeError } from './sharegpt.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkMessages(messages: unknown[]): Message[] {
  let calls = 0;
  const nextId = () => `call_${String(++calls).padStart(5, '0')}`;
  return messages.map((m, i) => {
    if (!isObject(m)) throw new NormalizeError('invalid_message', `messages[${i}] is not an object`);
    if (typeof m.role !== 'string' || m.role === '') {
      throw new NormalizeError('invalid_message', `messages[${i}] has no "role" string`);
    }
    if (isLlamaFactoryParts(m.content)) return fromLlamaFactoryParts(m as Message, m.content, `messages[${i}]`, nextId);
    return m as Message;
  });
}

/**
 * Turn one parsed JSONL value into a Conversation. Accepts OpenAI `messages` (tool_calls, tool
 * messages, list-of-parts content and `reasoning_content` pass through unchanged, as transformers
 * passes them to the template), LLaMA-Factory v1 typed parts, and ShareGPT `conversations`.
 * Per-row `tools`, `documents`, `chat_template_kwargs`, `add_generation_prompt` and
 * `continue_final_message` are carried along. Returns a rejection (never throws) for bad rows.
 */
export function normalizeRow(raw: RawRow): Outcome<Conversation> {
  const reject = (reason: string, message: string): Outcome<Conversation> => ({
    ok: false,
    reject: { ref: raw.ref, index: raw.index, reason, message },
  });
  if (raw.error !== undefined) {
    return reject(
      raw.error.startsWith('invalid JSON')
        ? 'invalid_json'
        : raw.error.startsWith('read error')
          ? 'read_error'
          : 'invalid_utf8',
      raw.error,
    );
  }
  const v = raw.value;
  if (!isObject(v))
    return reject(
      'not_an_object',
      `row is ${Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v}, expected an object`,
    );
  try {
    let messages: Message[];
    let sharegpt = false;
    if (Array.isArray(v.messages)) {
      messages = checkMessages(v.messages);
    } else if (Array.isArray(v.conversations)) {
      sharegpt = true;
      messages = fromShareGpt(v.conversations, v.system);
    } else if (v.messages !== undefined || v.conversations !== undefined) {
      return reject('no_messages', '"messages" must be a list');
    } else {
      return reject('no_messages', 'row has no "messages" (or ShareGPT "conversations") list');
    }
    if (messages.length === 0) return reject('no_messages', 'conversation is empty');
    const conv: Conversation = { ref: raw.ref, index: raw.index, messages };
    // Empty lists are values (transformers tests `is not None`): `tools: []` / `documents: []` stay [].
    const tools = normalizeTools(v.tools, sharegpt);
    if (tools !== undefined) conv.tools = tools;
    if (v.documents !== undefined && v.documents !== null) {
      if (!Array.isArray(v.documents)) return reject('invalid_documents', '"documents" must be a list');
      conv.documents = v.documents;
    }
    if (v.chat_template_kwargs !== undefined) {
      if (!isObject(v.chat_template_kwargs))
        return reject('invalid_kwargs', '"chat_template_kwargs" must be an object');
      conv.chatTemplateKwargs = v.chat_template_kwargs;
    }
    if (typeof v.add_generation_prompt === 'boolean') conv.addGenerationPrompt = v.add_generation_prompt;
    if (typeof v.continue_final_message === 'boolean' || typeof v.continue_final_message === 'string') {
      conv.continueFinalMessage = v.continue_final_message;
    }
    return { ok: true, row: conv };
  } catch (e) {
    if (e instanceof NormalizeError) return reject(e.reason, e.message);
    throw e;
  }
}
