/** `gymnosd schema`: the JSON Schema of the experiment file (or of system.json / logging.json). */
import type { Argv } from 'yargs';
import { loggingSchema } from '../../config/index.js';
import { experimentJsonSchema, systemSchema } from '../../experiment/index.js';

export const schemaCommand = {
  command: 'schema',
  describe:
    'Print the JSON Schema of the experiment file (or --of system / logging), with every key documented and its default',
  builder: (y: Argv) =>
    y.option('of', {
      choices: ['experiment', 'system', 'logging'] as const,
      default: 'experiment' as const,
      describe: 'which file',
    }),
  handler: async (a: { of: 'experiment' | 'system' | 'logging' }): Promise<number> => {
    const base = { $schema: 'https://json-schema.org/draft/2020-12/schema' };
    const s =
      a.of === 'experiment'
        ? experimentJsonSchema()
        : { ...base, title: `Gymnos ${a.of}.json`, ...(a.of === 'system' ? systemSchema : loggingSchema).json() };
    process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    return 0;
  },
};
