/**
 * Escapes what a terminal would interpret in text that comes from files or arguments (node and
 * tensor names, option values): control characters, format characters such as bidi overrides,
 * and unassigned or private-use code points become \xNN or \u{...}.
 */
export function printable(s: string): string {
  return s.replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\u2028\u2029]/gu, (ch) => {
    const c = ch.codePointAt(0)!;
    return c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u{${c.toString(16)}}`;
  });
}

/** printable() line by line: keeps the line breaks of a multi-line report. */
export function printableLines(s: string): string {
  return s.split('\n').map(printable).join('\n');
}
