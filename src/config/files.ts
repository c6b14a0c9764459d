/**
 * Reading config files: JSON parse errors name the file, line and column; the system and logging
 * files are found by a documented search:
 *
 *   1. the path given by a flag (`--system`, `--logging`) or option; it must exist;
 *   2. `$GYMNOS_HOME/<name>`;
 *   3. `./<name>` in the working directory;
 *   4. the user's config directory: `$XDG_CONFIG_HOME/gymnos/<name>` (default `~/.config/gymnos`;
 *      on Windows `%APPDATA%\gymnos`);
 *
 * and when none exists, the documented defaults apply.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from './errors.js';

/** Reads and parses a JSON file; errors are ConfigErrors naming the file (and the line). */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      path,
      [
        {
          path: '',
          message: `cannot read the file (${code ?? (e as Error).message})${code === 'ENOENT' ? '; check the path' : ''}`,
        },
      ],
      { cause: e },
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    let where = '';
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      where = ` at line ${line}, column ${Number(pos[1]) - before.lastIndexOf('\n')}`;
    }
    throw new ConfigError(path, [{ path: '', message: `not valid JSON${where}: ${msg}` }], { cause: e });
  }
}

/** The user's config directory for Gymnos. */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'gymnos');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'gymnos');
}

/** Where a config file was found: its path, or undefined for the defaults, and why. */
export interface Found {
  path?: string;
  via: 'flag' | 'GYMNOS_HOME' | 'cwd' | 'user config dir' | 'defaults';
}

/** Finds `name` (system.json / logging.json) by the search above. */
export function findConfigFile(
  name: string,
  flag?: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Found {
  if (flag) {
    const p = resolve(cwd, flag);
    if (!existsSync(p))
      throw new ConfigError(p, [{ path: '', message: `the ${name} given on the command line does not exist` }]);
    return { path: p, via: 'flag' };
  }
  if (env.GYMNOS_HOME) {
    const p = join(resolve(cwd, env.GYMNOS_HOME), name);
    if (existsSync(p)) return { path: p, via: 'GYMNOS_HOME' };
  }
  const local = join(cwd, name);
  if (existsSync(local)) return { path: local, via: 'cwd' };
  const user = join(userConfigDir(env), name);
  if (existsSync(user)) return { path: user, via: 'user config dir' };
  return { via: 'defaults' };
}
