/**
 * Einsum equations parsed once for the reference interpreter, shape inference and the gradient
 * rule. Each input gets one label per axis; an ellipsis becomes labels '.0', '.1', ... aligned to
 * the right as numpy broadcasting does. Without '->' the output is the ellipsis followed by the
 * labels used once, in alphabetical order.
 */

export interface EinsumEquation {
  /** Labels per input, one per axis. */
  inputs: string[][];
  /** Labels of the output, one per axis. */
  output: string[];
}

function splitTerm(term: string, where: string): { labels: string[]; ellipsis: boolean } {
  const t = term.trim();
  const at = t.indexOf('...');
  if (at >= 0 && t.indexOf('...', at + 1) >= 0)
    throw new Error(`${where}: Einsum term '${t}' has more than one ellipsis`);
  const plain = t.replace('...', '');
  for (const ch of plain) {
    if (!/[a-zA-Z]/.test(ch))
      throw new Error(
        `${where}: Einsum term '${t}' has the character '${ch}'; labels are letters, with at most one '...'`,
      );
  }
  return {
    labels: [...t.slice(0, at < 0 ? t.length : at)].concat(at < 0 ? [] : ['...'], [...(at < 0 ? '' : t.slice(at + 3))]),
    ellipsis: at >= 0,
  };
}

/** Parses `equation` for inputs of the given ranks; errors name the node (`where`). */
export function parseEinsum(equation: string, ranks: number[], where: string): EinsumEquation {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->');
  const terms = lhs.split(',');
  if (terms.length !== ranks.length)
    throw new Error(
      `${where}: Einsum equation '${equation}' has ${terms.length} input terms but the node has ${ranks.length} inputs`,
    );
  let ell = 0;
  const parsed = terms.map((term, i) => {
    const p = splitTerm(term, where);
    const explicit = p.labels.length - (p.ellipsis ? 1 : 0);
    if (p.ellipsis ? explicit > ranks[i] : explicit !== ranks[i]) {
      throw new Error(`${where}: Einsum term '${term}' has ${explicit} labels but input ${i} has rank ${ranks[i]}`);
    }
    const e = p.ellipsis ? ranks[i] - explicit : 0;
    ell = Math.max(ell, e);
    return { ...p, e };
  });
  const ellLabels = (n: number) => Array.from({ length: n }, (_, k) => `.${ell - n + k}`);
  const inputs = parsed.map((p) => p.labels.flatMap((l) => (l === '...' ? ellLabels(p.e) : [l])));
  let output: string[];
  if (rhs === undefined) {
    const counts = new Map<string, number>();
    inputs.flat().forEach((l) => counts.set(l, (counts.get(l) ?? 0) + 1));
    output = [
      ...ellLabels(ell),
      ...[...counts]
        .filter(([l, n]) => n === 1 && !l.startsWith('.'))
        .map(([l]) => l)
        .sort(),
    ];
  } else {
    const p = splitTerm(rhs, where);
    output = p.labels.flatMap((l) => (l === '...' ? ellLabels(ell) : [l]));
    const known = new Set(inputs.flat());
    for (const l of output)
      if (!known.has(l)) throw new Error(`${where}: Einsum output label '${l}' of '${equation}' appears in no input`);
    if (new Set(output).size !== output.length) throw new Error(`${where}: Einsum output '${rhs}' repeats a label`);
  }
  return { inputs, output };
}

/** Writes labels back as an equation (every label mapped to a distinct letter). */
export function formatEinsum(inputs: string[][], output: string[]): string {
  const letters = new Map<string, string>();
  const abc = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const letter = (l: string) => {
    if (!letters.has(l)) letters.set(l, abc[letters.size]);
    return letters.get(l)!;
  };
  return `${inputs.map((t) => t.map(letter).join('')).join(',')}->${output.map(letter).join('')}`;
}
