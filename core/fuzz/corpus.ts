// The fuzzer's seed corpus: the golden MADs a real OpenSM 3.3.23 sent and answered
// (test/fixtures), and the MADs the engine itself puts on the wire in a small run of every
// scheme (setup, migrations, notices, retries), one per distinct (class, method, attribute,
// status) so that no kind drowns the others.
import { readFileSync } from 'node:fs';
import { SCHEMES } from '../scenario/scenario.js';
import { generateScenario } from '../scenario/generator.js';
import { EmulatedSubnet } from '../engine/single-thread-run.js';

/** Where the golden MADs live, relative to this module (source or dist). */
function goldenPath(): URL {
  const here = new URL('.', import.meta.url);
  // dist/core/fuzz -> repo root is three up; core/fuzz (ts-node style) two up.
  return here.pathname.includes('/dist/') ? new URL('../../../test/fixtures/opensm-3.3.23-mads.json', here) : new URL('../../test/fixtures/opensm-3.3.23-mads.json', here);
}

/** The golden MADs, zero-padded to 256 bytes. */
export function goldenMads(path: URL | string = goldenPath()): Uint8Array[] {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { mads?: { name?: string; hex?: unknown }[] };
  if (!Array.isArray(doc.mads)) throw new RangeError(`golden MADs ${String(path)}: no "mads" array`);
  return doc.mads.map((m, i) => {
    if (typeof m.hex !== 'string' || !/^([0-9a-f]{2})*$/i.test(m.hex)) throw new RangeError(`golden MADs mads[${i}].hex: not hex`);
    const b = new Uint8Array(256);
    b.set(Buffer.from(m.hex, 'hex').subarray(0, 256));
    return b;
  });
}

/** Distinct MADs the engine sends in a small run of every scheme (seeded). */
export function engineMads(seed = 1): Uint8Array[] {
  const seen = new Map<string, Uint8Array>();
  const s = generateScenario({ seed, hosts: 6, slotsPerHost: 5, vmsPerHost: 3, spareHosts: 1, peersPerVm: 3, migrations: 4 });
  for (const scheme of SCHEMES) {
    const sub = new EmulatedSubnet(s, scheme, {
      tap: (mad) => {
        const key = `${mad[1]}:${mad[3]}:${(mad[16]! << 8) | mad[17]!}:${(mad[4]! << 8) | mad[5]!}:${mad[56]}`;
        if (!seen.has(key)) seen.set(key, mad.slice(0, 256));
      },
    });
    sub.setup('mads');
    sub.dom0.suspendVm(0, sub.nowNs);
    sub.run();
    sub.dom0.resumeVm(0, sub.nowNs);
    sub.scheduleMigrations();
    sub.run();
  }
  return [...seen.values()];
}
