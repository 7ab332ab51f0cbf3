#!/usr/bin/env node
// The `repath` bin (package.json "bin"). All logic is in cli.ts so it can be run in-process.
import { runCli } from './cli.js';
import { reexecForHugePages } from '../tables/huge-pages.js';

// `repath run` and `repath bench` hold fabric tables of up to hundreds of MB read at random; on
// 2 MiB pages (core/tables/huge-pages.ts) a 49,151-host per-pf-interest storm ran in 12.6 s
// instead of 15.5 s for 6% more RSS. glibc reads the tunable only at exec, so these commands
// re-execute themselves with it; REPATH_HUGE_PAGES=0 keeps 4 KiB pages.
const args = process.argv.slice(2);
if ((args[0] === 'run' || args[0] === 'bench') && process.env['REPATH_HUGE_PAGES'] !== '0') reexecForHugePages(true);

process.exitCode = await runCli(args);
