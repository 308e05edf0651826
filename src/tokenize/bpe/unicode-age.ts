/**
 * Code points V8 knows as assigned (Node 20.20: Unicode 17.0) that the Rust tokenizer's Oniguruma
 * tables still treat as unassigned (Unicode 17 additions): `\p{L}`, `\p{N}`, `\w`, `\p{M}` match them
 * in V8 and not in Rust, so a Split regex would cut the text differently. Read off the binding, code
 * point by code point (`\p{Cn}` there against V8's). A text holding one goes to the Rust binding whole.
 * Regenerate or check with scripts/goldens/unicode-tables.mjs.
 */
export const NEWER_THAN_RUST = new RegExp(
  // eslint-disable-next-line no-misleading-character-class -- code point ranges (some of marks), not composed text
  `[${[
    '\\u088f\\u0c5c\\u0cdc\\u1acf-\\u1add\\u1ae0-\\u1aeb\\u20c1\\u2b96\\ua7ce-\\ua7cf\\ua7d2\\ua7d4\\ua7f1\\ufbc3-\\ufbd2',
    '\\ufd90-\\ufd91\\ufdc8-\\ufdce\\u{10940}-\\u{10959}\\u{10ec5}-\\u{10ec7}\\u{10ed0}-\\u{10ed8}',
    '\\u{10efa}-\\u{10efb}\\u{11b60}-\\u{11b67}\\u{11db0}-\\u{11ddb}\\u{11de0}-\\u{11de9}\\u{16ea0}-\\u{16eb8}',
    '\\u{16ebb}-\\u{16ed3}\\u{16ff2}-\\u{16ff6}\\u{187f8}-\\u{187ff}\\u{18d09}-\\u{18d1e}\\u{18d80}-\\u{18df2}',
    '\\u{1ccfa}-\\u{1ccfc}\\u{1ceba}-\\u{1ced0}\\u{1cee0}-\\u{1cef0}\\u{1e6c0}-\\u{1e6de}\\u{1e6e0}-\\u{1e6f5}',
    '\\u{1e6fe}-\\u{1e6ff}\\u{1f6d8}\\u{1f777}-\\u{1f77a}\\u{1f8d0}-\\u{1f8d8}\\u{1fa54}-\\u{1fa57}\\u{1fa8a}',
    '\\u{1fa8e}\\u{1fac8}\\u{1facd}\\u{1faea}\\u{1faef}\\u{1fbfa}\\u{2b73a}-\\u{2b73f}\\u{2cea2}-\\u{2cead}',
    '\\u{323b0}-\\u{33479}',
  ].join('')}]`,
  'u',
);

/**
 * Texts the own engine hands to Rust whole: a code point V8 knows and Rust does not (above), or one
 * V8 does not know (`\p{Cn}`), which Rust may (a Node built with older Unicode data than Rust's).
 */
// eslint-disable-next-line no-misleading-character-class -- code point ranges (some of marks), as above
export const OUTSIDE_SHARED_UNICODE = new RegExp(`${NEWER_THAN_RUST.source.slice(0, -1)}\\p{Cn}]`, 'u');

/** The newest Unicode version whose additions NEWER_THAN_RUST lists (checked against the binding). */
export const TABLES_UNICODE = '17.0';

/**
 * Why this Node's Unicode data is too new for the tables above (characters added after
 * TABLES_UNICODE would split differently from Rust), or undefined.
 *
 * @example
 *   newerUnicodeThanTables('18.0'); // 'Node Unicode 18.0 is newer than the checked tables (17.0)'
 */
export function newerUnicodeThanTables(version = process.versions.unicode): string | undefined {
  const [major = 0, minor = 0] = (version ?? '0').split('.').map(Number);
  const [tMajor = 0, tMinor = 0] = TABLES_UNICODE.split('.').map(Number);
  return major > tMajor || (major === tMajor && minor > tMinor)
    ? `Node Unicode ${version} is newer than the checked tables (${TABLES_UNICODE})`
    : undefined;
}
