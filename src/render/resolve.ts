/**
 * Chat-template resolution as transformers 5.x does it when loading a tokenizer directory:
 * `chat_template.jinja` and `additional_chat_templates/*.jinja` take priority over
 * `tokenizer_config.json`'s `chat_template` (a string or a list of {name, template}).
 * With several templates: an explicit name, else `tool_use` when tools are given, else `default`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TemplateError } from './errors.js';

export interface ResolveArgs {
  tokenizerDir?: string;
  tokenizerConfig?: Record<string, unknown>;
  /** A template file path, a template name, or literal template text. */
  chatTemplate?: string;
  hasTools?: boolean;
}

function configError(msg: string): TemplateError {
  return new TemplateError(msg, 'ValueError');
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Load the templates a tokenizer provides: a single string, a name → source map, or null. */
export function loadChatTemplates(
  tokenizerDir?: string,
  tokenizerConfig?: Record<string, unknown>,
): string | Map<string, string> | null {
  let config = tokenizerConfig;
  if (!config && tokenizerDir) {
    const p = join(tokenizerDir, 'tokenizer_config.json');
    if (existsSync(p)) {
      try {
        config = JSON.parse(readText(p)) as Record<string, unknown>;
      } catch (e) {
        throw configError(`cannot parse ${p}: ${(e as Error).message}`);
      }
    }
  }
  if (tokenizerDir) {
    const files = new Map<string, string>();
    const main = join(tokenizerDir, 'chat_template.jinja');
    if (existsSync(main)) files.set('default', readText(main));
    const extraDir = join(tokenizerDir, 'additional_chat_templates');
    if (existsSync(extraDir) && statSync(extraDir).isDirectory()) {
      for (const f of readdirSync(extraDir).sort()) {
        if (f.endsWith('.jinja')) files.set(f.slice(0, -'.jinja'.length), readText(join(extraDir, f)));
      }
    }
    if (files.size === 1 && files.has('default')) return files.get('default')!;
    if (files.size) return files;
  }
  const ct = config?.['chat_template'];
  if (typeof ct === 'string') return ct;
  if (Array.isArray(ct)) {
    const m = new Map<string, string>();
    for (const t of ct) {
      if (
        !t ||
        typeof t !== 'object' ||
        typeof (t as Record<string, unknown>)['name'] !== 'string' ||
        typeof (t as Record<string, unknown>)['template'] !== 'string'
      ) {
        throw configError('tokenizer_config.json chat_template list entries must be {name, template} objects');
      }
      m.set((t as { name: string }).name, (t as { template: string }).template);
    }
    return m;
  }
  if (ct !== undefined && ct !== null)
    throw configError('tokenizer_config.json chat_template must be a string or a list of {name, template}');
  return null;
}

function looksLikeTemplate(s: string): boolean {
  return /\{\{|\{%|\{#/.test(s) || s.includes('\n');
}

export function resolveChatTemplate(args: ResolveArgs): { name: string; source: string } {
  const templates = loadChatTemplates(args.tokenizerDir, args.tokenizerConfig);
  const ct = args.chatTemplate;
  if (ct !== undefined) {
    if (templates instanceof Map && templates.has(ct)) return { name: ct, source: templates.get(ct)! };
    if (!looksLikeTemplate(ct) && existsSync(ct) && statSync(ct).isFile()) return { name: ct, source: readText(ct) };
    if (looksLikeTemplate(ct)) return { name: '<inline>', source: ct };
    const names = templates instanceof Map ? [...templates.keys()].sort() : templates !== null ? ['default'] : [];
    throw configError(
      `chat template '${ct}' is neither a template file, a template name of this tokenizer (available: ${names.length ? names.join(', ') : 'none'}), nor template text`,
    );
  }
  if (templates === null) {
    throw configError(
      'Cannot use chat template functions because tokenizer.chat_template is not set and no template argument was passed!' +
        (args.tokenizerDir
          ? ` (looked in ${args.tokenizerDir}: chat_template.jinja, additional_chat_templates/, tokenizer_config.json)`
          : ''),
    );
  }
  if (typeof templates === 'string') return { name: 'default', source: templates };
  if (args.hasTools && templates.has('tool_use')) return { name: 'tool_use', source: templates.get('tool_use')! };
  if (templates.has('default')) return { name: 'default', source: templates.get('default')! };
  throw configError(
    `This model has multiple chat templates with no default specified! Please either pass a chat template or the name of the template you wish to use to the \`chat_template\` argument. Available template names are ${JSON.stringify([...templates.keys()].sort())}.`,
  );
}

/** sha256 hex of the template source (for provenance / caching keys). */
export function chatTemplateHash(source: string): string {
  return createHash('sha256').update(source, 'utf8').digest('hex');
}

/**
 * transformers' special_tokens_map from a tokenizer_config.json: bos/eos/unk/sep/pad/cls/mask
 * tokens as strings (AddedToken objects reduced to their `content`).
 */
export function specialTokensFromConfig(config: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token']) {
    const v = config[key];
    if (typeof v === 'string') out[key] = v;
    else if (v && typeof v === 'object' && typeof (v as Record<string, unknown>)['content'] === 'string') {
      out[key] = (v as { content: string }).content;
    }
  }
  return out;
}
