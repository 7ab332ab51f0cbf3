// Scenario files by extension: .json (hand-written, see scenario-json.ts) or .fb / .bin
// (flatbuffers, see scenario.fbs). Reading always yields a checked Scenario or a ScenarioError.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import type { Scenario } from './scenario.js';
import { ScenarioError } from './scenario-error.js';
import { scenarioFromJson, scenarioToJson } from './scenario-json.js';
import { decodeScenarioFb, encodeScenarioFb } from './scenario-fb.js';
import type { ScenarioOptions } from './scenario-options.js';

export type ScenarioFileFormat = 'json' | 'flatbuffers';

export function scenarioFileFormat(path: string): ScenarioFileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.fb' || ext === '.bin') return 'flatbuffers';
  throw new ScenarioError('scenario file', path, 'has neither a .json nor a .fb / .bin extension');
}

export function readScenarioFile(path: string): Scenario {
  const format = scenarioFileFormat(path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ScenarioError('scenario file', path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (format === 'flatbuffers') return decodeScenarioFb(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ScenarioError('scenario file', path, `is not valid JSON (${(err as Error).message})`);
  }
  return scenarioFromJson(doc, dirname(path));
}

export interface WriteScenarioOptions {
  /** Store every array, not just the parameters (always so for scenarios without parameters). */
  explicit?: boolean;
}

/** Writes a scenario or the options of one; returns the bytes written. */
export function writeScenarioFile(path: string, value: Scenario | ScenarioOptions, options: WriteScenarioOptions = {}): number {
  const format = scenarioFileFormat(path);
  const data = format === 'json' ? Buffer.from(JSON.stringify(scenarioToJson(value, options.explicit ?? false), null, 2) + '\n') : encodeScenarioFb(value, options.explicit ?? false);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  return data.byteLength;
}
