#!/usr/bin/env node
/** The `gymnosd` executable: runs the CLI with the process arguments and exits with its code. */
import { hideBin } from 'yargs/helpers';
import { runCli } from './main.js';
import { reportError } from './errors.js';

runCli(hideBin(process.argv)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.exitCode = reportError(e); },
);
