#!/usr/bin/env node
/** The `gymnosd` executable: runs the CLI with the process arguments and exits with its code. */
import { hideBin } from 'yargs/helpers';
import { runCli } from './main.js';
import { reportError } from './errors.js';

// A reader that goes away (`gymnosd train x.json 2>&1 | head`) must not kill a training run: output
// to a closed pipe (EPIPE) is dropped, and the run still ends with its model and its exit code.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

runCli(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = reportError(e);
  },
);
