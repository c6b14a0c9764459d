/**
 * The strict side of gymnosd's argument parsing: numeric options that name what they expected,
 * and the one-line user errors (with "did you mean" suggestions) that replace yargs' own
 * messages for unknown options and commands, missing arguments and invalid choices.
 */
import { UserError } from './errors.js';
import { printable } from '../util/printable.js';

export { printable };

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two words. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest candidate to `word` when it is close enough to be a likely typo (else undefined). */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = c.startsWith(word) && word.length >= 3 ? 1 : editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestD) {
      best = c;
      bestD = dist;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.min(3, Math.floor(word.length / 3))) ? best : undefined;
}

const shown = (v: unknown) => `'${printable(String(v))}'`;

/**
 * A numeric option: an integer (with an optional minimum) or any finite number (with an optional
 * exclusive lower bound). A value that is not one is a user error naming the option and the value
 * as typed ("expected an integer for --seed but got 'abc'"); given twice, it says so.
 */
export function numericOption(
  name: string,
  describe: string,
  o: { integer?: boolean; min?: number; above?: number; default?: number } = {},
) {
  const flag = `--${name}`;
  const what = o.integer
    ? `an integer${o.min !== undefined ? ` >= ${o.min}` : ''}`
    : `a number${o.above !== undefined ? ` > ${o.above}` : ''}`;
  return {
    describe: `${describe} (${o.integer ? 'integer' : 'number'})`,
    requiresArg: true,
    ...(o.default !== undefined ? { default: o.default } : {}),
    coerce: (v: unknown): number => {
      if (Array.isArray(v))
        throw new UserError(`${flag} was given ${v.length} times (${v.map(shown).join(', ')}); give it once`);
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      const ok =
        Number.isFinite(n) &&
        (!o.integer || Number.isInteger(n)) &&
        (o.min === undefined || n >= o.min) &&
        (o.above === undefined || n > o.above);
      if (!ok) throw new UserError(`expected ${what} for ${flag} but got ${shown(v)}`);
      return n;
    },
  };
}

/** What a usage error needs to know: the raw arguments, the command names, and the current command's options. */
export interface UsageContext {
  args: string[];
  commands: string[];
  /** Options of the command being parsed (long names, with their aliases), when one was matched. */
  options?: { keys: string[]; hidden: string[] };
  /** The matched command's usage, e.g. 'validate <experiment>'. */
  usage?: string;
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function unknownArguments(names: string[], ctx: UsageContext): string {
  const raw = ctx.args.slice(0, ctx.args.includes('--') ? ctx.args.indexOf('--') : undefined);
  const isOption = (n: string) =>
    raw.some(
      (a) =>
        a === `--${n}` ||
        a.startsWith(`--${n}=`) ||
        a === `--no-${n}` ||
        (n.length === 1 && /^-[^-]/.test(a) && a.slice(1).includes(n)),
    );
  const command = raw.find((a) => !a.startsWith('-'));
  // yargs lists an unknown --foo-bar also as fooBar: keep the spelling the user typed
  const uniq = [...new Set(names.map(kebab))];
  if (command !== undefined && !ctx.commands.includes(command) && uniq.includes(command)) {
    const s = closest(command, ctx.commands);
    return `unknown command ${shown(command)}${s ? ` (did you mean ${s}?)` : ''}; the commands are ${ctx.commands.join(', ')}`;
  }
  const visible = (ctx.options?.keys ?? []).filter((k) => !ctx.options!.hidden.includes(k) && !/[A-Z]/.test(k));
  const parts = uniq.map((n) => {
    if (isOption(n)) {
      const s = closest(n, visible);
      return `unknown option ${n.length === 1 ? '-' : '--'}${printable(n)}${s ? ` (did you mean --${s}?)` : ''}`;
    }
    return `unexpected argument ${shown(n)}${ctx.usage ? ` (usage: gymnosd ${ctx.usage})` : ''}`;
  });
  return `${parts.join('; ')}${command ? `; see gymnosd ${command} --help` : ''}`;
}

/** Turns one of yargs' validation messages into gymnosd's one-line user error. */
export function usageError(msg: string, ctx: UsageContext): UserError {
  let m: RegExpMatchArray | null;
  let text: string;
  if ((m = msg.match(/^Unknown arguments?: (.*)$/s))) text = unknownArguments(m[1].split(', '), ctx);
  else if ((m = msg.match(/^Unknown command: (.*)$/s))) text = unknownArguments([m[1]], ctx);
  else if ((m = msg.match(/^Not enough arguments following: (.*)$/s))) text = `--${kebab(m[1])} needs a value`;
  else if ((m = msg.match(/^Missing required arguments?: (.*)$/s)))
    text = `missing ${m[1]
      .split(', ')
      .map((a) => `<${a}>`)
      .join(' and ')}${ctx.usage ? ` (usage: gymnosd ${ctx.usage})` : ''}`;
  else if (/^Not enough non-option arguments/.test(msg) && ctx.usage)
    text = `missing an argument (usage: gymnosd ${ctx.usage})`;
  else if ((m = msg.match(/^Invalid values:\s*Argument: ([^,]+), Given: (.*), Choices: (.*)$/s))) {
    const choices = [...m[3].matchAll(/"([^"]*)"/g)].map((c) => c[1]);
    const given = m[2].replace(/^"(.*)"$/, '$1');
    const s = closest(given, choices);
    const positional = ctx.usage?.includes(`<${m[1]}>`) || ctx.usage?.includes(`[${m[1]}]`);
    text = `expected one of ${choices.join(', ')} for ${positional ? `<${m[1]}>` : `--${kebab(m[1])}`} but got ${shown(given)}${s ? ` (did you mean ${s}?)` : ''}`;
  } else text = printable(msg.replace(/\s*\n\s*/g, ' '));
  return new UserError(text);
}
