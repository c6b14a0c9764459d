/**
 * Option checking shared by losses and optimizers: unknown keys and wrong values fail with one
 * message format, "expected ‹what› for ‹path› but got ‹value›", before any graph is built.
 */
import { GymnosError } from '../../util/errors.js';

/** An option of a loss or optimizer is unknown or out of range. */
export class OptionError extends GymnosError {
  readonly code = 'ERR_CONFIG';
  constructor(message: string) { super(message); this.name = 'OptionError'; }
}

/** Raw options as they come from the experiment config (the `type` key removed). */
export type RawOptions = Record<string, unknown>;

function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v);
}

/** Reads typed options of one component; `where` is the config path, e.g. `training.loss`. */
export class OptionReader {
  constructor(readonly where: string, private readonly raw: RawOptions, allowed: string[]) {
    const unknown = Object.keys(raw).filter((k) => k !== 'type' && !allowed.includes(k));
    if (unknown.length) {
      throw new OptionError(`unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `${where}.${k}`).join(', ')}; valid options: ${allowed.join(', ') || '(none)'}`);
    }
  }

  fail(key: string, what: string): never {
    throw new OptionError(`expected ${what} for ${this.where}.${key} but got ${show(this.raw[key])}`);
  }

  /** A finite number in [min, max] (bounds inclusive unless `open` names them). */
  number(key: string, dflt: number, range: { min?: number; max?: number; minOpen?: boolean; maxOpen?: boolean } = {}): number {
    const v = this.raw[key];
    if (v === undefined) return dflt;
    const { min, max, minOpen, maxOpen } = range;
    const lo = min === undefined ? '' : `${minOpen ? '>' : '>='} ${min}`;
    const hi = max === undefined ? '' : `${maxOpen ? '<' : '<='} ${max}`;
    const what = `a number${lo || hi ? ` ${[lo, hi].filter(Boolean).join(' and ')}` : ''}`;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, what);
    if (min !== undefined && (minOpen ? v <= min : v < min)) this.fail(key, what);
    if (max !== undefined && (maxOpen ? v >= max : v > max)) this.fail(key, what);
    return v;
  }

  /** An integer, or null when `nullable` and the config says null. */
  integer(key: string, dflt: number): number;
  integer(key: string, dflt: number | null, nullable: true): number | null;
  integer(key: string, dflt: number | null, nullable = false): number | null {
    const v = this.raw[key];
    if (v === undefined) return dflt;
    if (v === null && nullable) return null;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(key, nullable ? 'an integer or null' : 'an integer');
    return v;
  }

  boolean(key: string, dflt: boolean): boolean {
    const v = this.raw[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  /** One of the listed strings. */
  choice<T extends string>(key: string, choices: readonly T[], dflt: T): T {
    const v = this.raw[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || !choices.includes(v as T)) this.fail(key, `one of ${choices.map((c) => `'${c}'`).join(', ')}`);
    return v as T;
  }

  /** A non-empty list of finite numbers, each at least `min`; undefined when absent. */
  numbers(key: string, min = -Infinity): number[] | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null) return undefined;
    const what = `a non-empty array of numbers${min > -Infinity ? ` >= ${min}` : ''}`;
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= min)) this.fail(key, what);
    return v as number[];
  }

  /** One number or a non-empty list of numbers, each at least `min`, as a list; undefined when absent. */
  numberOrNumbers(key: string, min = -Infinity): number[] | undefined {
    const v = this.raw[key];
    if (typeof v === 'number') return [this.number(key, 0, { min })];
    return this.numbers(key, min);
  }

  /** A pair of numbers in [0, 1) (Adam's betas). */
  betas(key: string, dflt: [number, number]): [number, number] {
    const v = this.raw[key];
    if (v === undefined) return dflt;
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && x >= 0 && x < 1)) {
      this.fail(key, 'two numbers in [0, 1), e.g. [0.9, 0.999]');
    }
    return [v[0], v[1]];
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }
}
