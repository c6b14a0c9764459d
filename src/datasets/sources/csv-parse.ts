/**
 * An RFC 4180 CSV reader: quoted fields ("a,b", doubled "" quotes, newlines inside quotes), CRLF
 * or LF line ends, a configurable delimiter. Each record carries the 1-based line it starts on,
 * so errors can name `file:line`.
 */
import { DatasetError } from '../errors.js';

/** One parsed record. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * Parses `text` into records. Blank lines are skipped.
 * @throws DatasetError for an unterminated quote or a quote in the middle of an unquoted field.
 */
export function parseCsv(text: string, file: string, delimiter = ','): CsvRecord[] {
  const out: CsvRecord[] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const d = delimiter.charCodeAt(0);
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let atEnd = false;
    while (!atEnd) {
      let value = '';
      if (text.charCodeAt(i) === 34 /* " */) {
        i++;
        for (;;) {
          if (i >= n)
            throw new DatasetError(
              `${file}:${start}: a quoted field is never closed; close it with '"' (write a quote inside a field as "")`,
            );
          const c = text.charCodeAt(i);
          if (c === 34) {
            if (text.charCodeAt(i + 1) === 34) {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === 10) line++;
          value += text[i++];
        }
        const c = text.charCodeAt(i);
        if (i < n && c !== d && c !== 10 && c !== 13) {
          throw new DatasetError(
            `${file}:${line}: unexpected text after a closing quote; quote the whole field and write inner quotes as ""`,
          );
        }
      } else {
        const s = i;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === d || c === 10 || c === 13) break;
          if (c === 34)
            throw new DatasetError(
              `${file}:${line}: a quote inside an unquoted field; quote the field ("...") and double the inner quotes`,
            );
          i++;
        }
        value = text.slice(s, i);
      }
      fields.push(value);
      if (i >= n) atEnd = true;
      else if (text.charCodeAt(i) === d) i++;
      else {
        if (text.charCodeAt(i) === 13) i++;
        if (text.charCodeAt(i) === 10) i++;
        line++;
        atEnd = true;
      }
    }
    if (!(fields.length === 1 && fields[0] === '')) out.push({ line: start, fields });
    // Skip further blank lines.
    while (i < n && (text.charCodeAt(i) === 10 || text.charCodeAt(i) === 13)) {
      if (text.charCodeAt(i) === 10) line++;
      i++;
    }
  }
  return out;
}

/**
 * The trimmed header names of a CSV file.
 * @throws DatasetError when two columns share a name (which one a key means would be a guess).
 */
export function csvHeader(record: CsvRecord | undefined, file: string): string[] {
  const header = record?.fields.map((h) => h.trim()) ?? [];
  const first = new Map<string, number>();
  header.forEach((h, k) => {
    const j = first.get(h);
    if (j !== undefined)
      throw new DatasetError(
        `${file}:${record!.line}: the header names column '${h}' twice (columns ${j + 1} and ${k + 1}); rename one of them`,
      );
    first.set(h, k);
  });
  return header;
}
