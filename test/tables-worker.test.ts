import test from 'ava';
import { Worker } from 'node:worker_threads';
import { LidVguidTable, VguidState } from '../core/tables/index.js';

// The worker attaches to the SM's table from the posted buffers (no copy), reads it, and
// writes one record back that the main thread then sees.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.moduleUrl).then(({ LidVguidTable }) => {
  parentPort.on('message', (shared) => {
    const t = LidVguidTable.fromShared(shared);
    let sum = 0;
    for (let i = 1; i <= 1000; i++) sum += t.lid(0x00066a00, i);
    const host = t.host(0x00066a00, 500);
    t.set(0x00066a00, 5000, 77, 1, 2, 3);
    parentPort.postMessage({ sum, host, size: t.size, sameBuffer: shared.buffer instanceof SharedArrayBuffer });
  });
});
`;

test('a worker thread reads the table through the posted SharedArrayBuffer and its writes are seen', async (t) => {
  const table = new LidVguidTable(2000);
  for (let i = 1; i <= 1000; i++) table.set(0x00066a00, i, i, 1, i * 2, VguidState.Running);
  const moduleUrl = new URL('../core/tables/index.js', import.meta.url).href;
  const worker = new Worker(workerSource, { eval: true, workerData: { moduleUrl } });
  try {
    const reply = await new Promise<{ sum: number; host: number; size: number; sameBuffer: boolean }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage(table.toShared());
    });
    t.is(reply.sum, (1000 * 1001) / 2);
    t.is(reply.host, 1000);
    t.is(reply.size, 1001);
    t.true(reply.sameBuffer);
    t.is(table.lid(0x00066a00, 5000), 77, 'the worker wrote into the same memory');
    t.is(table.state(0x00066a00, 5000), 3);
    t.is(table.size, 1001);
  } finally {
    await worker.terminate();
  }
});
