#!/usr/bin/env node
// The `repath` bin (package.json "bin"). All logic is in cli.ts so it can be run in-process.
import { runCli } from './cli.js';

process.exitCode = await runCli(process.argv.slice(2));
