export type { TokenizerEngine, LoadedTokenizer, EngineKind } from './engine.js';
export { loadTokenizer, type LoadOptions } from './load.js';
export { NativeEngine } from './native.js';
export { JsEngine } from './js.js';
export { flattenOffsets, codePointToUtf16Table } from './offsets.js';
