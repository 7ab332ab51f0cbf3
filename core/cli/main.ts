#!/usr/bin/env node
// The `repath` bin (package.json "bin"). All logic is in cli.ts so it can be run in-process.
import { runCli } from './cli.js';
import { reexecForHugePages } from '../tables/huge-pages.js';

// `repath bench --suite micro|all` times the fabric tables, which belong on 2 MiB pages
// (core/tables/huge-pages.ts): glibc reads the tunable only at exec, so re-execute with it.
const args = process.argv.slice(2);
const suiteAt = args.indexOf('--suite');
const suite = suiteAt >= 0 ? args[suiteAt + 1] : undefined;
if (args[0] === 'bench' && (suite === 'micro' || suite === 'all')) reexecForHugePages(true);

process.exitCode = await runCli(args);
