/**
 * Strategies and the search space: grid enumeration order and values, seeded reproducibility, the
 * Halton sequence's stratification and its L2-star discrepancy (Warnock's closed form, an
 * independent formula) against random points.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gridPoints, halton, radicalInverse, sample } from '../../src/sweeps/strategies.js';
import { fromUnit, gridValues, type Space } from '../../src/sweeps/space.js';
import { Rng } from '../../src/util/rng.js';

const close = (a: number[], b: number[]) =>
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-12 * Math.max(1, Math.abs(b[i])), `${a} vs ${b}`));

test('grid: every combination, last key fastest, values spaced as documented', () => {
  const space: Space = { a: { type: 'choice', values: ['x', 'y'] }, b: { type: 'uniform', low: 0, high: 1 } };
  assert.deepEqual(gridPoints(space, 3), [
    { a: 'x', b: 0 },
    { a: 'x', b: 0.5 },
    { a: 'x', b: 1 },
    { a: 'y', b: 0 },
    { a: 'y', b: 0.5 },
    { a: 'y', b: 1 },
  ]);
  close(gridValues({ type: 'loguniform', low: 1e-3, high: 1e-1 }, 3) as number[], [1e-3, 1e-2, 1e-1]);
  assert.deepEqual(gridValues({ type: 'int', low: 1, high: 3, step: 1 }, 5), [1, 2, 3]);
  assert.deepEqual(gridValues({ type: 'int', low: 0, high: 100, step: 10 }, 3), [0, 50, 100]);
  assert.deepEqual(sample(space, { type: 'grid', points: 2 }, 3, 0), [
    { a: 'x', b: 0 },
    { a: 'x', b: 1 },
    { a: 'y', b: 0 },
  ]);
});

test('fromUnit maps the unit interval onto each distribution', () => {
  assert.equal(fromUnit({ type: 'choice', values: [1, 2, 3] }, 0.99), 3);
  assert.equal(fromUnit({ type: 'choice', values: [1, 2, 3] }, 0.34), 2);
  assert.equal(fromUnit({ type: 'int', low: 2, high: 10, step: 4 }, 0.999), 10);
  assert.equal(fromUnit({ type: 'int', low: 2, high: 10, step: 4 }, 0.5), 6);
  close([fromUnit({ type: 'loguniform', low: 1e-4, high: 1 }, 0.5) as number], [1e-2]);
  close([fromUnit({ type: 'uniform', low: -1, high: 3 }, 0.25) as number], [0]);
});

test('random and halton are reproducible from the seed and stay inside the space', () => {
  const space: Space = {
    lr: { type: 'loguniform', low: 1e-4, high: 1e-1 },
    depth: { type: 'int', low: 1, high: 9, step: 2 },
    act: { type: 'choice', values: ['relu', 'tanh'] },
  };
  for (const type of ['random', 'halton'] as const) {
    const a = sample(space, { type }, 50, 7);
    assert.deepEqual(sample(space, { type }, 50, 7), a);
    assert.notDeepEqual(sample(space, { type }, 50, 8), a);
    for (const p of a) {
      assert.ok((p.lr as number) >= 1e-4 && (p.lr as number) <= 1e-1);
      assert.ok([1, 3, 5, 7, 9].includes(p.depth as number));
      assert.ok(['relu', 'tanh'].includes(p.act as string));
    }
  }
});

test('van der Corput radical inverse (base 2) gives 1/2, 1/4, 3/4, 1/8, 5/8', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((i) => radicalInverse(i, 2)),
    [0.5, 0.25, 0.75, 0.125, 0.625],
  );
  close([radicalInverse(5, 3)], [2 / 3 + 1 / 9]);
});

test('halton: the first b^k points fill each of the b^k slices of a coordinate exactly once, for any seed', () => {
  for (const seed of [0, 1, 99]) {
    const pts = halton(243, 3, seed);
    for (const [d, b, k] of [
      [0, 2, 7],
      [1, 3, 5],
      [2, 5, 3],
    ]) {
      const n = b ** k;
      const counts = new Array<number>(n).fill(0);
      for (const p of pts.slice(0, n)) counts[Math.floor(p[d] * n + 1e-9)]++; // the values are exactly j / b^k, up to rounding
      assert.ok(
        counts.every((c) => c === 1),
        `seed ${seed} dim ${d}: ${counts.join('')}`,
      );
    }
  }
});

/** L2-star discrepancy by Warnock's formula. */
function l2Star(pts: number[][]): number {
  const n = pts.length,
    d = pts[0].length;
  let s1 = 0,
    s2 = 0;
  for (const p of pts) s1 += p.reduce((acc, x) => acc * (1 - x * x), 1);
  for (const p of pts) for (const q of pts) s2 += p.reduce((acc, x, k) => acc * (1 - Math.max(x, q[k])), 1);
  return Math.sqrt(3 ** -d - (2 ** (1 - d) / n) * s1 + s2 / (n * n));
}

test('halton points are spread more evenly than random ones (L2-star discrepancy)', () => {
  const n = 64,
    d = 3;
  const h = l2Star(halton(n, d, 3));
  let rand = 0;
  for (let s = 0; s < 10; s++) {
    const r = new Rng(s);
    rand += l2Star(Array.from({ length: n }, () => Array.from({ length: d }, () => r.next()))) / 10;
  }
  assert.ok(h < 0.6 * rand, `halton ${h} vs random ${rand}`);
});
