/** File-system checks shared by the sources, with messages that name the path and the remedy. */
import { stat } from 'node:fs/promises';
import { DatasetError } from '../errors.js';

/** Throws unless `path` is a readable regular file. */
export async function requireFile(path: string, what: string): Promise<void> {
  const s = await stat(path).catch(() => null);
  if (!s)
    throw new DatasetError(
      `${what} '${path}' does not exist; check the path (relative paths are resolved from ${process.cwd()})`,
    );
  if (!s.isFile()) throw new DatasetError(`${what} '${path}' is not a file`);
}

/** Throws unless `path` is a directory. */
export async function requireDir(path: string, what: string): Promise<void> {
  const s = await stat(path).catch(() => null);
  if (!s)
    throw new DatasetError(
      `${what} '${path}' does not exist; check the path (relative paths are resolved from ${process.cwd()})`,
    );
  if (!s.isDirectory()) throw new DatasetError(`${what} '${path}' is not a directory`);
}
