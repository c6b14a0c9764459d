/**
 * `--set key.path=value` overrides: the value is JSON when it parses as JSON (numbers, booleans,
 * arrays, objects, quoted strings), else a plain string; `a.b[2]` and `a.b.2` index arrays.
 */
import { ConfigError } from './errors.js';

function parsePath(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m || (!m[1] && !m[2])) return [];
    if (m[1]) out.push(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** Applies `key.path=value` assignments to a copy of `config`. */
export function applyOverrides(config: unknown, sets: string[]): unknown {
  const root = structuredClone(config ?? {}) as Record<string, unknown>;
  for (const s of sets) {
    const eq = s.indexOf('=');
    const keys = eq > 0 ? parsePath(s.slice(0, eq)) : [];
    if (!keys.length)
      throw new ConfigError('--set', [{ path: s, message: `expected key.path=value for --set but got '${s}'` }]);
    const text = s.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    let node = root as Record<string | number, unknown>;
    keys.slice(0, -1).forEach((k, i) => {
      const next = node[k];
      if (next === undefined || next === null || typeof next !== 'object')
        node[k] = typeof keys[i + 1] === 'number' ? [] : {};
      node = node[k] as Record<string | number, unknown>;
    });
    node[keys[keys.length - 1]] = value;
  }
  return root;
}
