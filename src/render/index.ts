/** Render stage: chat templates rendered with Python Jinja2 / transformers semantics. */
export { TemplateError, RenderLimitError } from './errors.js';
export { compileTemplate, DEFAULT_LIMITS } from './template.js';
export type { CompiledTemplate, RenderLimits, RenderResult } from './template.js';
export { renderConversation, messageRenderer, normalizeSpans } from './conversation.js';
export type { RenderOptions, RenderedConversation } from './conversation.js';
export { resolveChatTemplate, chatTemplateHash, loadChatTemplates, specialTokensFromConfig } from './resolve.js';
export type { ResolveArgs } from './resolve.js';
export { parsePyJson, pyJsonDumps, stripPyFloats } from './jinja/json.js';
export { PyFloat } from './jinja/values.js';
