/**
 * Text that came from a sweep file or a shared database is printed, exported and pasted into shells: these
 * keep it from acting as anything but text there (terminal escapes, spreadsheet formulas, Markdown table
 * syntax, shell syntax).
 */

// C0 controls, DEL and C1 controls: a raw ESC can clear the screen or rewrite what a terminal shows.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// Bidirectional controls and line/paragraph separators: they do not drive a terminal, but they reverse or
// split what a table shows (the "Trojan Source" trick), so a value would read as another.
const LAYOUT = /[\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeLayout = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** One line of terminal text: control, bidi and separator characters shown as visible escapes (`\x1b`, `\n`, `\u202e`). */
export function printable(text: string): string {
  return text
    .replace(CONTROL, (c) => {
      if (c === '\n') return '\\n';
      if (c === '\t') return '\\t';
      if (c === '\r') return '\\r';
      return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
    })
    .replace(LAYOUT, escapeLayout);
}

/**
 * A CSV cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading quote, as
 * OWASP advises; numbers are written by the caller and never pass through here.
 */
export function csvText(text: string): string {
  const shown = text.replace(LAYOUT, escapeLayout);
  return /^[=+\-@\t\r]/.test(shown) ? `'${shown}` : shown;
}

/** A Markdown table cell: pipes escaped, line breaks and other controls made visible. */
export function markdownText(text: string): string {
  return printable(text).replace(/\|/g, '\\|');
}

/** A word safe to paste into a POSIX shell: quoted when it holds anything but the plainest characters. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9._\/=:@%+-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Cuts long text for a one-line message. */
export function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

/**
 * A value as an error message quotes it: JSON with NaN and infinities spelt out (JSON.stringify would write
 * them as null, the very confusion a message must avoid), cut short.
 */
export function quoteValue(value: unknown, max = 80): string {
  let text: string;
  try {
    text =
      JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `\u0000${v}` : v))?.replace(/"\\u0000(-?Infinity|NaN)"/g, '$1') ??
      String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return clip(text, max);
}
