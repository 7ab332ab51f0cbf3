// The shape every benchmark suite writes to results/ and BENCHMARKS.md is rendered from.
// Keeping one shape lets the report generator and the CI gate read any suite the same way.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import type { TopLevelSpec } from 'vega-lite';

export interface TargetCheck {
  /** What is measured, e.g. "Notice decodes per second, one core". */
  name: string;
  /** The target as written in the issue, e.g. ">= 20e6". */
  target: string;
  measured: number;
  met: boolean;
}

export interface BenchResult {
  /** File stem under results/<group>/, e.g. "mad-codec". */
  suite: string;
  title: string;
  /** The command that reproduces this file. */
  command: string;
  /** One row per case; the first row's keys are the table columns, in order. */
  rows: Array<Record<string, string | number>>;
  targets: TargetCheck[];
  notes: string[];
  machine: MachineFacts;
  generatedAt: string;
  /** Figures of this suite, embedded in BENCHMARKS.md under its table. */
  plots?: PlotRef[];
}

/**
 * One figure of a suite. A suite either writes the SVG itself (bench/plots: renderSvg) or leaves
 * the vega-lite spec here and the report renders it; with a spec, the report re-renders on every
 * run, so the picture always matches the data in the spec and the current chart style.
 */
export interface PlotRef {
  /** The SVG, relative to the result file's directory, e.g. "sm-mads-vs-hosts.svg" (no ".." or absolute paths). */
  file: string;
  /** Caption, also the image's alt text. */
  title: string;
  /** vega-lite spec (a TopLevelSpec from bench/plots/charts.ts), when the report is to render it. */
  spec?: TopLevelSpec;
}

export interface MachineFacts {
  node: string;
  cpus: number;
  cpuModel: string;
  totalMemoryGiB: number;
  platform: string;
}

export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.arch()}`,
  };
}

/** Writes a result as pretty JSON, creating the directory; returns the path written. */
/** A result file as writeBenchResult wrote it, or undefined when it is absent or not JSON (a suite merging into or comparing with an earlier run). */
export function readBenchResult(path: string): BenchResult | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as BenchResult;
  } catch {
    return undefined;
  }
}

/** The results directory a bench writes to: `dir` when given, else the repository's results/. */
export function resultsDirOr(dir: string | undefined): string {
  return dir ?? fileURLToPath(new URL('../../results/', import.meta.url));
}

export function writeBenchResult(path: string, result: BenchResult): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(result, null, 2) + '\n');
  return path;
}
