export type { TokenizerEngine, LoadedTokenizer, EngineKind, EngineChoice } from './engine.js';
export { loadTokenizer, createEngine, type LoadOptions } from './load.js';
export { UnsupportedEngineError } from './errors.js';
export { readTokenizerFiles, type TokenizerFiles } from './files.js';
export { NativeEngine } from './native.js';
export { flattenOffsets, codePointToUtf16Table } from './offsets.js';
export { BpeEngine, bpeEngineFromShare, type SharedBpeEngine, bpeUnsupported, createBpeEngine } from './bpe/index.js';
