/** Config errors: every issue found in a file, each with its JSON path; gymnosd exits 2. */
import type { Issue } from './schema.js';
import { GymnosError } from '../util/errors.js';

export class ConfigError extends GymnosError {
  readonly code = 'ERR_CONFIG';
  constructor(
    readonly source: string,
    readonly issues: Issue[],
    options?: { cause?: unknown },
  ) {
    super(
      issues.length === 1
        ? `${source}: ${issues[0].message}`
        : `${source}: ${issues.length} problems:\n${issues.map((i) => `  - ${i.message}`).join('\n')}`,
      options,
    );
    this.name = 'ConfigError';
  }
}
