// The record ring's batching (core/engine/shard/record-ring.ts): a busy reader gets whole
// batches; a reader waiting for data says so, and the writer then publishes after a small batch,
// so that a shard is close behind whenever the main thread has to wait for it (a Sync answer).
import test from 'ava';
import { Worker } from 'node:worker_threads';
import { EAGER_PUBLISH_WORDS, RecordRing } from '../core/engine/shard/record-ring.js';

const RECORD_WORDS = 8;
const BIG_BATCH = 1 << 18;

function writeRecord(w: RecordRing, first: number): void {
  w.publishWhenDue(BIG_BATCH);
  w.begin(RECORD_WORDS);
  for (let i = 0; i < RECORD_WORDS; i++) w.put(first + i);
  w.end();
}

/** Blocks this thread until `done()` or about 10 s (then false). */
function waitUntil(done: () => boolean): boolean {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 1000; i++) {
    if (done()) return true;
    Atomics.wait(nap, 0, 0, 10);
  }
  return done();
}

test('record ring: a reader that is not waiting gets nothing until the batch is full', (t) => {
  const w = new RecordRing(1 << 16);
  t.false(w.readerIdle);
  let words = 0;
  while (words < 3 * EAGER_PUBLISH_WORDS) {
    writeRecord(w, words);
    words += RECORD_WORDS;
  }
  t.is(w.unpublishedWords, words, 'nothing published to a busy reader short of the batch');
  w.publishWhenDue(words);
  t.is(w.unpublishedWords, 0, 'a full batch is published');
});

test('record ring: a reader waiting for data is marked idle, and gets a small batch at once', async (t) => {
  const w = new RecordRing(1 << 16);
  const readWords = new Int32Array(new SharedArrayBuffer(4));
  const ringModule = new URL('../core/engine/shard/record-ring.js', import.meta.url).href;
  // The reader: reads records of RECORD_WORDS words (checking each word) until a record starts with -1.
  const reader = new Worker(
    `const { workerData } = require('node:worker_threads');
     import(workerData.ringModule).then(({ RecordRing }) => {
       const r = new RecordRing(workerData.ring);
       const count = new Int32Array(workerData.count);
       for (let expect = 0; ; ) {
         r.waitForData();
         const first = r.take();
         if (first === -1) break;
         if (first !== expect) throw new Error('record ' + first + ' where ' + expect + ' was due');
         for (let i = 1; i < ${RECORD_WORDS}; i++) if (r.take() !== first + i) throw new Error('word ' + (first + i));
         r.doneRecord();
         expect += ${RECORD_WORDS};
         Atomics.store(count, 0, expect);
       }
       r.doneRecord();
     });`,
    { eval: true, workerData: { ring: w.toShared(), count: readWords.buffer, ringModule } },
  );
  const exited = new Promise<number>((resolve, reject) => {
    reader.once('error', reject);
    reader.once('exit', resolve);
  });
  t.true(waitUntil(() => w.readerIdle), 'the reader marks itself idle while it waits');
  let words = 0;
  while (words < EAGER_PUBLISH_WORDS) {
    writeRecord(w, words);
    words += RECORD_WORDS;
  }
  t.is(w.unpublishedWords, words, 'below the small batch: not yet published');
  writeRecord(w, words);
  words += RECORD_WORDS;
  t.is(w.unpublishedWords, RECORD_WORDS, 'the small batch went out to the idle reader (all but the record being written)');
  t.true(waitUntil(() => Atomics.load(readWords, 0) === words - RECORD_WORDS), `the reader read the small batch (${Atomics.load(readWords, 0)} words)`);
  w.begin(1);
  w.put(-1);
  w.end();
  w.publish();
  t.is(await exited, 0);
});
