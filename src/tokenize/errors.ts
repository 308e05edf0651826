/**
 * The `js` engine was asked for a tokenizer.json it cannot reproduce exactly (a Unigram or
 * WordPiece model, an unsupported normalizer / pre-tokenizer / post-processor). A usage error: the
 * caller chose the engine; `native` or `auto` load the same file.
 *
 * @example
 * try { await loadTokenizer(dir, { engine: 'js' }); }
 * catch (e) { if (e instanceof UnsupportedEngineError) console.log(e.reason); } // 'model Unigram'
 */
export class UnsupportedEngineError extends Error {
  override name = 'UnsupportedEngineError';
  constructor(
    /** The tokenizer.json in question. */
    readonly path: string,
    /** What the own engine lacks, e.g. `model Unigram`, `pre-tokenizer Whitespace`. */
    readonly reason: string,
  ) {
    super(`\`engine\` js cannot reproduce ${path} exactly (${reason}); use \`engine\` native or auto`);
  }
}
