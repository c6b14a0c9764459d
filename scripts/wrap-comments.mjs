#!/usr/bin/env node
// Rewraps comments longer than the line limit (120), which prettier leaves alone: a `//` line
// becomes several `//` lines, a line of a `/** ... */` block several ` * ` lines, and a one-line
// `/** ... */` a block (with the code that followed it, if any, on the next line). Only lines over
// the limit change, so running it twice changes nothing the second time. Comments are found by
// TypeScript's parser, never inside strings or template literals. Trailing comments after code and
// directives (eslint-disable, @ts-expect-error, prettier-ignore) are left as they are.
// Usage: node scripts/wrap-comments.mjs [--check] [paths...]   (default: src test scripts bench)
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import ts from 'typescript';

export const LIMIT = 120;
const EXTS = new Set(['.ts', '.mts', '.mjs', '.js']);
const SKIP = new Set(['node_modules', 'dist', 'fixtures', 'target']);
const DIRECTIVE = /^\s*(eslint-|@ts-|prettier-ignore|#!)/;

/** Greedy word wrap of `text` into lines of at most `width` characters (a longer word stands alone). */
export function wrapWords(text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** A list item keeps its marker on the first line and hangs the rest under its text. */
function hanging(text) {
  const m = /^([-*+]|\d+[.)])\s+/.exec(text);
  return m ? ' '.repeat(m[0].length) : '';
}

/** `prefix` + wrapped `text`, continuation lines under the first (list items hang). */
function rewrap(prefix, text, limit) {
  const hang = hanging(text);
  const first = wrapWords(text, Math.max(20, limit - prefix.length));
  if (!hang || first.length < 2) return first.map((l) => `${prefix}${l}`);
  const head = first[0];
  const rest = wrapWords(text.slice(head.length).trim(), Math.max(20, limit - prefix.length - hang.length));
  return [`${prefix}${head}`, ...rest.map((l) => `${prefix}${hang}${l}`)];
}

/** Start offsets of the comments that begin their line (leading comments only). */
function commentStarts(text, fileName) {
  const sf = ts.createSourceFile(
    fileName,
    text,
    ts.ScriptTarget.Latest,
    false,
    fileName.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS,
  );
  const starts = new Map();
  const visit = (node) => {
    for (const r of ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []) starts.set(r.pos, r);
    for (const r of ts.getTrailingCommentRanges(text, node.getEnd()) ?? []) starts.set(r.pos, r);
    node.getChildren(sf).forEach(visit);
  };
  visit(sf);
  return [...starts.values()].sort((a, b) => a.pos - b.pos);
}

/** The file with its over-long comment lines rewrapped. */
export function wrapComments(text, fileName = 'x.ts', limit = LIMIT) {
  if (!text.split('\n').some((l) => l.length > limit)) return text;
  const edits = [];
  for (const r of commentStarts(text, fileName)) {
    const lineStart = text.lastIndexOf('\n', r.pos - 1) + 1;
    const indent = text.slice(lineStart, r.pos);
    if (!/^[ \t]*$/.test(indent)) continue; // a trailing comment after code
    const lineEnd = text.indexOf('\n', r.end) < 0 ? text.length : text.indexOf('\n', r.end);
    const body = text.slice(r.pos, r.end);
    const after = text.slice(r.end, lineEnd);
    if (r.kind === ts.SyntaxKind.SingleLineCommentTrivia) {
      const line = indent + body;
      const m = /^\/\/\s?(.*)$/.exec(body);
      if (line.length <= limit || !m || DIRECTIVE.test(m[1]) || !m[1].includes(' ')) continue;
      edits.push([lineStart, r.end, rewrap(`${indent}// `, m[1], limit).join('\n')]);
      continue;
    }
    const lines = body.split('\n');
    if (lines.length === 1) {
      const m = /^\/\*(\*?)\s*(.*?)\s*\*\/$/.exec(body);
      if ((indent + body + after).length <= limit || !m || DIRECTIVE.test(m[2])) continue;
      const code = after.trim();
      const block = [`${indent}/*${m[1]}`, ...rewrap(`${indent} * `, m[2], limit), `${indent} */`];
      if (code) block.push(indent + code);
      edits.push([lineStart, lineEnd, block.join('\n')]);
      continue;
    }
    let changed = false;
    const out = lines.map((l, i) => {
      const full = i === 0 ? indent + l : l;
      const m = /^(\s*\*\s)(.*)$/.exec(full);
      if (full.length <= limit || i === 0 || !m || m[2].startsWith('*/') || DIRECTIVE.test(m[2])) return l;
      if (/^\s*```|^\s{4,}\S/.test(m[2])) return l; // code in a doc comment
      changed = true;
      return rewrap(m[1], m[2], limit).join('\n');
    });
    if (changed) edits.push([r.pos, r.end, out.join('\n')]);
  }
  let result = text;
  for (const [from, to, replacement] of edits.sort((a, b) => b[0] - a[0]))
    result = result.slice(0, from) + replacement + result.slice(to);
  return result;
}

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path)) if (!SKIP.has(name) && !name.startsWith('.')) collect(join(path, name), out);
  } else if (EXTS.has(extname(path)) && !path.endsWith('.d.ts')) out.push(path);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const roots = args.filter((a) => !a.startsWith('--'));
  const files = (roots.length ? roots : ['src', 'test', 'scripts', 'bench']).flatMap((p) => collect(p, []));
  const changed = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const next = wrapComments(text, f);
    if (next === text) continue;
    changed.push(relative(process.cwd(), f));
    if (!check) writeFileSync(f, next);
  }
  if (check && changed.length) {
    console.error(
      `comments over ${LIMIT} characters in ${changed.length} file(s); run npm run format:\n  ${changed.join('\n  ')}`,
    );
    process.exit(1);
  }
  console.log(
    `${check ? 'checked' : 'wrapped'} comments in ${files.length} files${check ? '' : `, ${changed.length} changed`}`,
  );
}
