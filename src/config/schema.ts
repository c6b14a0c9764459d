/**
 * A small schema builder: one definition gives the TypeScript type (`Infer<typeof s>`), the
 * defaults, the docs and the JSON Schema (`gymnosd schema`). Validation collects every issue with
 * its JSON path, in one format: "expected ‹what› for ‹path› but got ‹value›"; unknown keys are
 * errors that list the valid keys (and the nearest one, for typos).
 */

/** One problem found in a config file. */
export interface Issue {
  path: string;
  message: string;
}

/** A JSON Schema fragment. */
export type JsonSchema = Record<string, unknown>;

/** A schema node producing values of type T. */
export interface Schema<T> {
  readonly _type?: T;
  readonly doc?: string;
  /** Value used when the key is absent (already resolved: a function is called per use). */
  readonly fallback?: () => T;
  readonly optional: boolean;
  /** Checks `v` (at `path`), pushing issues; returns the value with defaults filled. */
  parse(v: unknown, path: string, issues: Issue[]): T | undefined;
  json(): JsonSchema;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** Renders a value for messages: strings quoted, others as JSON. */
export function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const at = (path: string, key: string) => (path ? `${path}.${key}` : key);

function expected(issues: Issue[], path: string, what: string, got: unknown): undefined {
  issues.push({ path, message: `expected ${what} for ${path || '(root)'} but got ${show(got)}` });
  return undefined;
}

interface Base<T> {
  doc?: string;
  default?: T | (() => T);
}

function make<T>(o: Base<T> & { optional?: boolean }, parse: Schema<T>['parse'], json: () => JsonSchema): Schema<T> {
  const d = o.default;
  const fallback = d === undefined ? undefined : typeof d === 'function' ? (d as () => T) : () => structuredClone(d);
  return {
    doc: o.doc,
    fallback,
    optional: o.optional ?? false,
    parse,
    json: () => {
      const j = json();
      if (o.doc) j.description = o.doc;
      if (fallback && typeof d !== 'function') j.default = d;
      return j;
    },
  };
}

export interface NumberOpts extends Base<number> {
  min?: number;
  max?: number;
  exclusiveMin?: number;
  integer?: boolean;
}

/** A finite number (or integer) within optional bounds. */
export function num(o: NumberOpts = {}): Schema<number> {
  const parts: string[] = [];
  if (o.exclusiveMin !== undefined) parts.push(`> ${o.exclusiveMin}`);
  if (o.min !== undefined) parts.push(`>= ${o.min}`);
  if (o.max !== undefined) parts.push(`<= ${o.max}`);
  const what = `${o.integer ? 'an integer' : 'a number'}${parts.length ? ` ${parts.join(' and ')}` : ''}`;
  return make(
    o,
    (v, path, issues) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || (o.integer && !Number.isInteger(v)))
        return expected(issues, path, what, v);
      if (
        (o.min !== undefined && v < o.min) ||
        (o.max !== undefined && v > o.max) ||
        (o.exclusiveMin !== undefined && v <= o.exclusiveMin)
      )
        return expected(issues, path, what, v);
      return v;
    },
    () => ({
      type: o.integer ? 'integer' : 'number',
      ...(o.min !== undefined ? { minimum: o.min } : {}),
      ...(o.max !== undefined ? { maximum: o.max } : {}),
      ...(o.exclusiveMin !== undefined ? { exclusiveMinimum: o.exclusiveMin } : {}),
    }),
  );
}

/** An integer (shorthand for num({ integer: true, ... })). */
export const int = (o: Omit<NumberOpts, 'integer'> = {}) => num({ ...o, integer: true });

/** A string, optionally non-empty. */
export function str(o: Base<string> & { minLength?: number } = {}): Schema<string> {
  return make(
    o,
    (v, path, issues) => {
      if (typeof v !== 'string' || v.length < (o.minLength ?? 0))
        return expected(issues, path, o.minLength ? 'a non-empty string' : 'a string', v);
      return v;
    },
    () => ({ type: 'string', ...(o.minLength ? { minLength: o.minLength } : {}) }),
  );
}

export function bool(o: Base<boolean> = {}): Schema<boolean> {
  return make(
    o,
    (v, path, issues) => (typeof v === 'boolean' ? v : expected(issues, path, 'true or false', v)),
    () => ({ type: 'boolean' }),
  );
}

/** One of a fixed set of strings. */
export function oneOf<const C extends readonly string[]>(choices: C, o: Base<C[number]> = {}): Schema<C[number]> {
  const what = `one of ${choices.map((c) => `'${c}'`).join(', ')}`;
  return make(
    o,
    (v, path, issues) =>
      typeof v === 'string' && choices.includes(v) ? (v as C[number]) : expected(issues, path, what, v),
    () => ({ type: 'string', enum: [...choices] }),
  );
}

/** An array of items. */
export function arr<T>(item: Schema<T>, o: Base<T[]> & { minItems?: number } = {}): Schema<T[]> {
  return make(
    o,
    (v, path, issues) => {
      if (!Array.isArray(v)) return expected(issues, path, 'an array', v);
      if (o.minItems && v.length < o.minItems)
        return expected(issues, path, `an array of at least ${o.minItems} item(s)`, v);
      const out: T[] = [];
      let ok = true;
      v.forEach((x, i) => {
        const r = item.parse(x, `${path}[${i}]`, issues);
        if (r === undefined) ok = false;
        else out.push(r);
      });
      return ok ? out : undefined;
    },
    () => ({ type: 'array', items: item.json(), ...(o.minItems ? { minItems: o.minItems } : {}) }),
  );
}

/** Marks a schema optional: absent keys stay absent (type T | undefined). */
export function opt<T>(s: Schema<T>): Schema<T | undefined> {
  return { ...s, optional: true } as Schema<T | undefined>;
}

/** Adds a check run after `s` parsed; it returns an error message (or nothing). */
export function check<T>(s: Schema<T>, fn: (v: T, path: string) => string | undefined): Schema<T> {
  return {
    ...s,
    parse(v, path, issues) {
      const r = s.parse(v, path, issues);
      if (r === undefined) return undefined;
      const msg = fn(r, path);
      if (msg) {
        issues.push({ path, message: msg });
        return undefined;
      }
      return r;
    },
  };
}

export type Props = Record<string, Schema<unknown>>;
type OptionalKeys<P extends Props> = {
  [K in keyof P]: P[K] extends { optional: true } ? K : undefined extends Infer<P[K]> ? K : never;
}[keyof P];
export type ObjectOf<P extends Props> = { -readonly [K in Exclude<keyof P, OptionalKeys<P>>]: Infer<P[K]> } & {
  -readonly [K in OptionalKeys<P>]?: Infer<P[K]>;
};

/** Levenshtein distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
}

/** The nearest valid name to `key`, when it is close enough to be a typo. */
export function nearest(key: string, valid: string[]): string | undefined {
  let best: string | undefined;
  let bd = Infinity;
  for (const v of valid) {
    const dd = distance(key, v);
    if (dd < bd) {
      bd = dd;
      best = v;
    }
  }
  return bd <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

/** Pushes the unknown-key issue for `key` at `path`. */
export function unknownKey(issues: Issue[], path: string, key: string, valid: string[]): void {
  const near = nearest(key, valid);
  issues.push({
    path: at(path, key),
    message: `unknown key ${at(path, key)}${near ? ` (did you mean '${near}'?)` : ''}; valid keys${path ? ` of ${path}` : ''}: ${valid.join(', ')}`,
  });
}

function parseProps<P extends Props>(
  props: P,
  v: Record<string, unknown>,
  path: string,
  issues: Issue[],
  skip: string[] = [],
): Record<string, unknown> | undefined {
  const valid = [...skip, ...Object.keys(props)];
  let ok = true;
  for (const k of Object.keys(v))
    if (!valid.includes(k)) {
      unknownKey(issues, path, k, valid);
      ok = false;
    }
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(props)) {
    const raw = v[k];
    if (raw === undefined) {
      if (s.fallback) out[k] = s.fallback();
      else if (!s.optional) {
        issues.push({
          path: at(path, k),
          message: `missing ${at(path, k)}: expected ${describe(s)}${s.doc ? ` (${s.doc})` : ''}`,
        });
        ok = false;
      }
      continue;
    }
    const r = s.parse(raw, at(path, k), issues);
    if (r === undefined) ok = false;
    else out[k] = r;
  }
  return ok ? out : undefined;
}

function describe(s: Schema<unknown>): string {
  const j = s.json();
  if (Array.isArray(j.enum)) return `one of ${(j.enum as string[]).map((c) => `'${c}'`).join(', ')}`;
  if (Array.isArray(j.oneOf))
    return `an object { "type": ${(j.oneOf as Array<{ properties: { type: { const: string } } }>).map((v) => `'${v.properties.type.const}'`).join(' | ')}, ... }`;
  const t = String(j.type ?? 'value');
  return t === 'object' ? 'an object' : t === 'array' ? 'an array' : t === 'integer' ? 'an integer' : `a ${t}`;
}

function objectJson(props: Props, extra: Record<string, JsonSchema> = {}): JsonSchema {
  const properties: Record<string, JsonSchema> = { ...extra };
  const required: string[] = [];
  for (const [k, s] of Object.entries(props)) {
    properties[k] = s.json();
    if (!s.optional && !s.fallback) required.push(k);
  }
  return { type: 'object', properties, additionalProperties: false, ...(required.length ? { required } : {}) };
}

/** An object with exactly these keys (unknown keys are errors). */
export function obj<P extends Props>(props: P, o: Base<ObjectOf<P>> = {}): Schema<ObjectOf<P>> {
  return make(
    o,
    (v, path, issues) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return expected(issues, path, 'an object', v);
      return parseProps(props, v as Record<string, unknown>, path, issues) as ObjectOf<P> | undefined;
    },
    () => objectJson(props),
  );
}

/** A map from free-form names to values of one schema. */
export function record<T>(value: Schema<T>, o: Base<Record<string, T>> = {}): Schema<Record<string, T>> {
  return make(
    o,
    (v, path, issues) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return expected(issues, path, 'an object', v);
      const out: Record<string, T> = {};
      let ok = true;
      for (const [k, x] of Object.entries(v)) {
        const r = value.parse(x, at(path, k), issues);
        if (r === undefined) ok = false;
        else out[k] = r;
      }
      return ok ? out : undefined;
    },
    () => ({ type: 'object', additionalProperties: value.json() }),
  );
}

type Variants = Record<string, Props>;
export type TaggedOf<V extends Variants> = { [K in keyof V]: { type: K } & ObjectOf<V[K]> }[keyof V];

/**
 * A component `{ "type": "<name>", ...options }`: one object schema per registered type. An
 * unknown type lists the valid names; the options are checked against that type's schema.
 */
export function tagged<V extends Variants>(
  variants: V,
  o: Base<TaggedOf<V>> & { docs?: Record<string, string> } = {},
): Schema<TaggedOf<V>> {
  const names = Object.keys(variants);
  return make(
    o,
    (v, path, issues) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        return expected(issues, path, `an object { "type": ${names.map((n) => `'${n}'`).join(' | ')}, ... }`, v);
      const t = (v as Record<string, unknown>).type;
      const tp = at(path, 'type');
      if (t === undefined) {
        issues.push({ path: tp, message: `missing ${tp}: expected one of ${names.map((n) => `'${n}'`).join(', ')}` });
        return undefined;
      }
      if (typeof t !== 'string' || !names.includes(t)) {
        const near = typeof t === 'string' ? nearest(t, names) : undefined;
        return expected(
          issues,
          tp,
          `one of ${names.map((n) => `'${n}'`).join(', ')}${near ? ` (did you mean '${near}'?)` : ''}`,
          t,
        );
      }
      const r = parseProps(variants[t], v as Record<string, unknown>, path, issues, ['type']);
      return r ? ({ type: t, ...r } as TaggedOf<V>) : undefined;
    },
    () => ({
      oneOf: names
        .map((n): JsonSchema => ({
          ...(o.docs?.[n] ? { description: o.docs[n] } : {}),
          ...objectJson(variants[n], { type: { const: n } }),
        }))
        .map((j) => ({ ...j, required: ['type', ...((j.required as string[]) ?? [])] })),
    }),
  );
}

/** Any JSON object, checked by a validator that throws (used for components validated elsewhere). */
export function external<T>(
  validate: (v: Record<string, unknown>, path: string) => T,
  json: JsonSchema,
  o: Base<T> = {},
): Schema<T> {
  return make(
    o,
    (v, path, issues) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return expected(issues, path, 'an object', v);
      try {
        return validate(v as Record<string, unknown>, path);
      } catch (e) {
        issues.push({ path, message: (e as Error).message });
        return undefined;
      }
    },
    () => ({ ...json }),
  );
}
