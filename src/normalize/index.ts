import type { Conversation, Message, Outcome, RawRow } from '../types.js';
import { fromLlamaFactoryParts, isLlamaFactoryParts } from './parts.js';
import { mapMessage, type FieldMapping } from './mapping.js';
import { fromShareGpt, NormalizeError, normalizeTools } from './sharegpt.js';

export { NormalizeError } from './sharegpt.js';
export { parseRoleMap, type FieldMapping } from './mapping.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkMessages(messages: unknown[], name = 'messages'): Message[] {
  let calls = 0;
  const nextId = () => `call_${String(++calls).padStart(5, '0')}`;
  return messages.map((m, i) => {
    if (!isObject(m)) throw new NormalizeError('invalid_message', `${name}[${i}] is not an object`);
    if (typeof m.role !== 'string' || m.role === '') {
      throw new NormalizeError('invalid_message', `${name}[${i}] has no "role" string`);
    }
    if (isLlamaFactoryParts(m.content)) return fromLlamaFactoryParts(m as Message, m.content, `${name}[${i}]`, nextId);
    return m as Message;
  });
}

/** ShareGPT turns: `{from, value}` objects without a `role`. */
const looksShareGpt = (list: unknown[]) => list.some((t) => isObject(t) && 'from' in t && !('role' in t));

/**
 * Turn one parsed row into a Conversation. Accepts OpenAI `messages` (tool_calls, tool
 * messages, list-of-parts content and `reasoning_content` pass through unchanged, as transformers
 * passes them to the template), LLaMA-Factory v1 typed parts, and ShareGPT `conversations`.
 * Per-row `tools`, `documents`, `chat_template_kwargs`, `add_generation_prompt` and
 * `continue_final_message` are carried along. Returns a rejection (never throws) for bad rows.
 * `mapping` reads data under other names (see FieldMapping); without it, detection is automatic.
 *
 * @example
 *   normalizeRow(
 *     { ref, index: 0, value: { chat: [{ speaker: 'human', text: 'hi' }, { speaker: 'bot', text: 'hello' }] } },
 *     { messagesField: 'chat', roleField: 'speaker', contentField: 'text', roleMap: { human: 'user', bot: 'assistant' } },
 *   ); // messages: [{role: 'user', content: 'hi'}, {role: 'assistant', content: 'hello'}]
 */
export function normalizeRow(raw: RawRow, mapping: FieldMapping = {}): Outcome<Conversation> {
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
    let list: unknown[];
    let name: string;
    const field = mapping.messagesField;
    if (field !== undefined) {
      if (!Array.isArray(v[field]))
        return reject(
          'no_messages',
          v[field] === undefined ? `row has no "${field}" list (--messages-field)` : `"${field}" must be a list`,
        );
      list = v[field] as unknown[];
      name = field;
    } else if (Array.isArray(v.messages)) {
      [list, name] = [v.messages, 'messages'];
    } else if (Array.isArray(v.conversations)) {
      [list, name] = [v.conversations, 'conversations'];
    } else if (v.messages !== undefined || v.conversations !== undefined) {
      return reject('no_messages', '"messages" must be a list');
    } else {
      return reject('no_messages', 'row has no "messages" (or ShareGPT "conversations") list');
    }
    const renamed = mapping.roleField !== undefined || mapping.contentField !== undefined;
    const sharegpt = !renamed && (field === undefined ? name === 'conversations' : looksShareGpt(list));
    let messages: Message[];
    if (sharegpt) messages = fromShareGpt(list, v.system, mapping.roleMap);
    else if (renamed || mapping.roleMap)
      messages = checkMessages(
        list.map((m, i) => mapMessage(m, i, name, mapping)),
        name,
      );
    else messages = checkMessages(list, name);
    if (messages.length === 0) return reject('no_messages', 'conversation is empty');
    if (mapping.system !== undefined && messages[0]!.role !== 'system')
      messages.unshift({ role: 'system', content: mapping.system });
    const conv: Conversation = { ref: raw.ref, index: raw.index, messages };
    // Empty lists are values (transformers tests `is not None`): `tools: []` / `documents: []` stay [].
    const tools = normalizeTools(mapping.toolsField !== undefined ? v[mapping.toolsField] : v.tools, sharegpt);
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
