/**
 * One error base, one code spelling: no ad-hoc `Object.assign(new Error(...), { code })` in src/,
 * every error class derives from GymnosError, and every error code written in src/ or in the
 * native crate is spelled ERR_X (ERROR_CODE_PATTERN), never GYMNOS_X or ERR_GYMNOS_X.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  ERROR_CODE_PATTERN,
  USER_CODES,
  GymnosError,
  UserError,
  ForwardedError,
  isUserError,
} from '../../src/util/errors.js';
import { NATIVE_ERROR_CODES, wrapNativeError } from '../../src/native/errors.js';

const root = join(import.meta.dirname, '..', '..');

function files(dir: string, ext: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) files(p, ext, out);
    else if (e.endsWith(ext)) out.push(p);
  }
  return out;
}

const sources = files(join(root, 'src'), '.ts').map((p) => ({
  path: relative(root, p),
  text: readFileSync(p, 'utf8'),
}));
const rust = files(join(root, 'native', 'src'), '.rs').map((p) => ({
  path: relative(root, p),
  text: readFileSync(p, 'utf8'),
}));

/** Environment variables share the GYMNOS_ prefix; they are names, not error codes. */
const ENV_NAMES = new Set([
  'GYMNOS_HOME',
  ...sources.flatMap((f) => [...f.text.matchAll(/process\.env\.([A-Z0-9_]+)/g)].map((m) => m[1])),
]);

/**
 * The base itself, and internal sentinels that never leave their module (caught and rethrown as a GymnosError there).
 */
const INTERNAL_ERROR_CLASSES = new Set(['src/util/errors.ts:GymnosError', 'src/datasets/arrow-check.ts:Damage']);

test('the scan sees the tree (a scan of nothing would pass anything)', () => {
  assert.ok(sources.length > 200, `only ${sources.length} .ts files under src/`);
  assert.ok(
    rust.some((f) => f.path.endsWith('error.rs')),
    'native/src/error.rs not found',
  );
  assert.ok(
    sources.some((f) => f.text.includes("'ERR_SESSION_RUN'")),
    'no error code literal found at all',
  );
});

test('no ad-hoc coded errors: throw a GymnosError subclass instead of Object.assign(new Error(...), { code })', () => {
  const bad = sources.flatMap((f) =>
    f.text
      .split('\n')
      .flatMap((line, i) =>
        /Object\.assign\(\s*new \w*Error\(/.test(line) || /\)\.code = ['"]/.test(line) ? [`${f.path}:${i + 1}`] : [],
      ),
  );
  assert.deepEqual(bad, []);
});

test('every error class in src/ derives from GymnosError', () => {
  const bad: string[] = [];
  for (const f of sources) {
    for (const m of f.text.matchAll(/class (\w+) extends (\w*Error)\b/g)) {
      if (m[2] === 'Error' || m[2] === 'TypeError' || m[2] === 'RangeError') {
        if (!INTERNAL_ERROR_CLASSES.has(`${f.path}:${m[1]}`)) bad.push(`${f.path}: ${m[1]} extends ${m[2]}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

test('every error code in src/ and native/src/ has the one spelling ERR_X', () => {
  const codes = new Map<string, string>();
  for (const f of [...sources, ...rust]) {
    for (const m of f.text.matchAll(/['"`]((?:GYMNOS|ERR)_[A-Za-z0-9_]*)['"`]/g)) {
      if (!ENV_NAMES.has(m[1])) codes.set(m[1], f.path);
    }
  }
  assert.ok(codes.size >= 20, `found only ${codes.size} codes`);
  const bad = [...codes]
    .filter(([c]) => c !== 'ERR_X' && (!ERROR_CODE_PATTERN.test(c) || c.startsWith('ERR_GYMNOS_')))
    .map(([c, p]) => `${p}: ${c}`);
  assert.deepEqual(bad, []);
  for (const c of [...USER_CODES, ...NATIVE_ERROR_CODES]) assert.match(c, ERROR_CODE_PATTERN);
});

test('the pattern itself rejects the old spellings', () => {
  assert.ok(ERROR_CODE_PATTERN.test('ERR_SESSION_RUN'));
  for (const c of ['GYMNOS_USER', 'ERR_', 'ERR_lower', 'ERR__X', 'ERR_X_']) assert.ok(!ERROR_CODE_PATTERN.test(c), c);
});

test('user-facing is decided by the code, for thrown, forwarded and native errors alike', () => {
  const u = new UserError('bad flag', { hint: 'drop it' });
  assert.ok(u instanceof GymnosError && u.userFacing && isUserError(u));
  assert.equal(u.code, 'ERR_USER');
  assert.equal(u.hint, 'drop it');
  const fwd = new ForwardedError({ name: 'ConfigError', message: 'x', code: 'ERR_CONFIG', hint: 'h' });
  assert.ok(fwd.userFacing && fwd.name === 'ConfigError' && fwd.hint === 'h');
  assert.ok(!new ForwardedError({ message: 'boom' }).userFacing, 'a forwarded error without a code is a bug');
  const arrow = wrapNativeError(Object.freeze({ code: 'ERR_ARROW', message: 'truncated' }), 'open x.arrow');
  assert.equal((arrow as GymnosError).code, 'ERR_ARROW');
  assert.ok(isUserError(arrow));
  assert.equal((wrapNativeError(new Error('panic'), 'next') as GymnosError).code, 'ERR_INTERNAL');
  assert.equal(
    (wrapNativeError({ code: 'ERR_GYMNOS_ARROW', message: 'old' }, 'x') as GymnosError).code,
    'ERR_INTERNAL',
    "only the addon's own codes pass through",
  );
});
