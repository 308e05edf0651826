/**
 * Field mapping for conversation data under other names, after Axolotl's chat_template datasets:
 * `field_messages` → messagesField, `message_property_mappings` {role, content} → roleField /
 * contentField, `roles` → roleMap, `field_tools` → toolsField, plus a default system prompt.
 */
import type { Message } from '../types.js';
import { NormalizeError } from './sharegpt.js';

export interface FieldMapping {
  /** Row key holding the message list (default: `messages`, else ShareGPT `conversations`). */
  messagesField?: string;
  /** Message key holding the role (default `role`; ShareGPT `from`). */
  roleField?: string;
  /** Message key holding the content (default `content`; ShareGPT `value`). */
  contentField?: string;
  /** Role values → chat roles, e.g. `{human: 'user', bot: 'assistant'}`; applied before ShareGPT's own names. */
  roleMap?: Record<string, string>;
  /** Row key holding the tool list (default `tools`). */
  toolsField?: string;
  /** System prompt for rows whose conversation has no system message. */
  system?: string;
}

/**
 * Parse a role map: `human=user,bot=assistant`, a JSON object `{"human": "user"}`, or Axolotl's
 * `roles` form `{"user": ["human"], "assistant": ["gpt", "bot"]}` (chat role → its source values).
 *
 * @example
 *   parseRoleMap('human=user,gpt=assistant'); // { human: 'user', gpt: 'assistant' }
 *   parseRoleMap({ assistant: ['gpt', 'bot'] }); // { gpt: 'assistant', bot: 'assistant' }
 */
export function parseRoleMap(spec: string | Record<string, unknown>): Record<string, string> {
  let obj: Record<string, unknown>;
  if (typeof spec === 'string') {
    const text = spec.trim();
    if (text.startsWith('{')) {
      try {
        obj = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new Error('role-map: not valid JSON');
      }
    } else {
      obj = {};
      for (const pair of text.split(',')) {
        if (pair.trim() === '') continue;
        const eq = pair.indexOf('=');
        if (eq <= 0 || eq === pair.length - 1) throw new Error(`role-map: "${pair}" is not FROM=TO`);
        obj[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
      }
    }
  } else {
    obj = spec;
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('role-map: expected an object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v) && v.every((s) => typeof s === 'string')) for (const s of v as string[]) out[s] = k;
    else throw new Error(`role-map: value of "${k}" must be a role name or a list of source names`);
  }
  return out;
}

/**
 * One message under mapped names → OpenAI keys: the role and content fields renamed to `role` /
 * `content` (other keys kept), the role value passed through the role map.
 */
export function mapMessage(m: unknown, i: number, where: string, mapping: FieldMapping): unknown {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return m;
  const roleKey = mapping.roleField ?? 'role';
  const contentKey = mapping.contentField ?? 'content';
  const src = m as Record<string, unknown>;
  const out: Message = { role: src[roleKey] as string };
  if (typeof out.role !== 'string' || out.role === '')
    throw new NormalizeError('invalid_message', `${where}[${i}] has no "${roleKey}" string`);
  out.role = mapping.roleMap?.[out.role] ?? out.role;
  if (contentKey in src) out.content = src[contentKey];
  for (const [k, v] of Object.entries(src)) if (k !== roleKey && k !== contentKey && !(k in out)) out[k] = v;
  return out;
}
