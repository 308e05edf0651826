/** Where one message sits in the full render (UTF-16 indices). */
export interface Turn {
  message: number;
  role: string;
  /** First char the model produces for this message (after the role header / generation prompt). */
  start: number;
  /** End of the message's own text, before the end-of-turn marker. */
  contentEnd: number;
  /** End of the end-of-turn marker (trailing whitespace after it excluded). */
  end: number;
  /**
   * How the turn was located: `prefix` (the prefix renders are prefixes of the full render) or
   * `history` (the template renders the message differently once later turns follow it, e.g. it
   * drops reasoning; located in its history form and verified, see `inferTurns`) or `anchor` (its
   * place in the full render found by a marker render, its own-form text around it mapped there
   * only where identical, see `anchorTurn`).
   */
  method: 'prefix' | 'history' | 'anchor';
}
