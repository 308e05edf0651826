/**
 * Every token column chatshard may write; kept input columns may not take these names. Apart from
 * schema.ts so that checking options does not load Apache Arrow.
 */
export const TOKEN_COLUMNS = [
  'input_ids',
  'attention_mask',
  'assistant_masks',
  'labels',
  'position_ids',
  'seq_lengths',
] as const;

export type ColumnName = (typeof TOKEN_COLUMNS)[number];
