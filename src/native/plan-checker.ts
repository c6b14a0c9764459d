/**
 * The loader plan's field checks: each reads one key of a plan object, fills its default and records
 * an "expected ... for plan.<path> but got ..." issue when the value is wrong, so validatePlan
 * reports every problem of a plan at once.
 */

export type Rec = Record<string, unknown>;
export const show = (v: unknown): string => (v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v)));
export const isObj = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

export class PlanChecker {
  issues: string[] = [];
  fail(path: string, expected: string, got: unknown): void {
    this.issues.push(`expected ${expected} for plan.${path} but got ${show(got)}`);
  }
  keys(o: Rec, path: string, allowed: string[]): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k))
        this.issues.push(`unknown key plan.${path ? `${path}.` : ''}${k}; valid keys: ${allowed.join(', ')}`);
    }
  }
  num(o: Rec, k: string, path: string, def: number | undefined, lo: number, hi: number, int = false): number {
    const v = o[k] ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))) {
      this.fail(`${path}.${k}`.replace(/^\./, ''), `${int ? 'an integer' : 'a number'} in [${lo}, ${hi}]`, o[k]);
      return def ?? lo;
    }
    return v;
  }
  bool(o: Rec, k: string, def: boolean): boolean {
    const v = o[k] ?? def;
    if (typeof v !== 'boolean') {
      this.fail(k, 'a boolean', o[k]);
      return def;
    }
    return v;
  }
  str(o: Rec, k: string, path: string): string {
    const v = o[k];
    if (typeof v !== 'string' || v.length === 0) {
      this.fail(`${path}.${k}`.replace(/^\./, ''), 'a non-empty string', v);
      return '';
    }
    return v;
  }
  pair(o: Rec, k: string, path: string, def: [number, number], lo: number, hi: number): [number, number] {
    const v = o[k] ?? def;
    if (
      !Array.isArray(v) ||
      v.length !== 2 ||
      !v.every((x) => typeof x === 'number' && Number.isFinite(x)) ||
      !(v[0] >= lo && v[0] <= v[1] && v[1] <= hi)
    ) {
      this.fail(`${path}.${k}`, `[min, max] with ${lo} <= min <= max <= ${hi}`, o[k]);
      return def;
    }
    return [v[0], v[1]];
  }
  size(o: Rec, k: string, path: string): [number, number] {
    const v = o[k];
    const ok = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 65536;
    if (ok(v)) return [v as number, v as number];
    if (Array.isArray(v) && v.length === 2 && v.every(ok)) return [v[0], v[1]];
    this.fail(`${path}.${k}`, 'a positive integer or [height, width]', v);
    return [1, 1];
  }
  numbers(o: Rec, k: string, path: string, positive = false): number[] {
    const v = o[k];
    if (
      !Array.isArray(v) ||
      v.length === 0 ||
      !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))
    ) {
      this.fail(`${path}.${k}`, `a non-empty array of ${positive ? 'positive ' : ''}finite numbers`, v);
      return [positive ? 1 : 0];
    }
    return v as number[];
  }
}
