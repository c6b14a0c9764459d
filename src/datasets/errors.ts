/**
 * Dataset errors. Every message says what was expected, where (file, line, option path) and how
 * to fix it. `code` is stable; gymnosd treats it as a user error (exit 2).
 */
import { GymnosError } from '../util/errors.js';

/** A problem with the user's data or dataset options. */
export class DatasetError extends GymnosError {
  readonly code = 'ERR_DATASET';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatasetError';
  }
}

type Rec = Record<string, unknown>;
const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v));
export const isObj = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Collects every problem of one options object ("expected <what> for <path> but got <value>")
 * and throws them together, so the user fixes them in one go.
 */
export class OptionChecker {
  readonly issues: string[] = [];
  constructor(readonly o: Rec, readonly where: string) {}

  fail(key: string, expected: string, got: unknown): void {
    this.issues.push(`expected ${expected} for ${this.where}.${key} but got ${show(got)}`);
  }
  /** Rejects keys outside `allowed`, listing the valid ones. */
  keys(allowed: string[]): void {
    for (const k of Object.keys(this.o)) {
      if (!allowed.includes(k)) this.issues.push(`unknown key ${this.where}.${k}; valid keys: ${allowed.join(', ')}`);
    }
  }
  str(key: string, def?: string): string {
    const v = this.o[key] ?? def;
    if (typeof v !== 'string' || v.length === 0) {
      this.fail(key, 'a non-empty string', this.o[key]);
      return '';
    }
    return v;
  }
  optStr(key: string): string | undefined {
    return this.o[key] === undefined ? undefined : this.str(key);
  }
  int(key: string, def: number | undefined, lo: number, hi: number): number {
    const v = this.o[key] ?? def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      this.fail(key, `an integer in [${lo}, ${hi}]`, this.o[key]);
      return def ?? lo;
    }
    return v;
  }
  oneOf<T extends string | number>(key: string, choices: readonly T[], def: T): T {
    const v = this.o[key] ?? def;
    if (!choices.includes(v as T)) {
      this.fail(key, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, this.o[key]);
      return def;
    }
    return v as T;
  }
  bool(key: string, def: boolean): boolean {
    const v = this.o[key] ?? def;
    if (typeof v !== 'boolean') {
      this.fail(key, 'true or false', this.o[key]);
      return def;
    }
    return v;
  }
  strings(key: string, def?: string[]): string[] | undefined {
    const v = this.o[key] ?? def;
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      this.fail(key, 'an array of strings', this.o[key]);
      return def;
    }
    return v as string[];
  }
  /** A positive size `n` or `[height, width]`; undefined when absent. */
  size(key: string): [number, number] | undefined {
    const v = this.o[key];
    if (v === undefined) return undefined;
    const ok = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 16384;
    if (ok(v)) return [v as number, v as number];
    if (Array.isArray(v) && v.length === 2 && v.every(ok)) return [v[0], v[1]];
    this.fail(key, 'a positive integer or [height, width]', v);
    return undefined;
  }
  /** Throws a DatasetError listing every issue, if any. */
  done(): void {
    if (this.issues.length === 1) throw new DatasetError(this.issues[0]);
    if (this.issues.length) throw new DatasetError(`invalid ${this.where}:\n  - ${this.issues.join('\n  - ')}`);
  }
}
