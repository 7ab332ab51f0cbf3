// One check for the engine's tests: two runs of a scheme (one thread, sharded, rebuilt after a
// crash...) have the same outcome: every counter (named in the message), the setup counters,
// the event count, the virtual time and a byte-identical .hgrm.
import type { ExecutionContext } from 'ava';
import type { SchemeOutcome } from '../../core/engine/scheme-run.js';
import { LatencyHistogram } from '../../core/metrics/latency-histogram.js';
import { COUNTER_NAMES } from '../../core/metrics/counters.js';

/** The outcome's latency histogram as .hgrm text (LatencyHistogram.ready() first). */
export function hgrmOf(o: SchemeOutcome): string {
  const h = LatencyHistogram.decode(o.histogram);
  const s = h.toHgrm();
  h.destroy();
  return s;
}

export function sameOutcome(t: ExecutionContext, got: SchemeOutcome, ref: SchemeOutcome, what: string): void {
  t.deepEqual(
    COUNTER_NAMES.map((n, i) => `${n}=${got.counters[i]}`),
    COUNTER_NAMES.map((n, i) => `${n}=${ref.counters[i]}`),
    `${what}: counters`,
  );
  t.deepEqual(Array.from(got.setupCounters), Array.from(ref.setupCounters), `${what}: setup counters`);
  t.is(got.events, ref.events, `${what}: events`);
  t.is(got.virtualTimeNs, ref.virtualTimeNs, `${what}: virtual time`);
  t.is(hgrmOf(got), hgrmOf(ref), `${what}: .hgrm`);
}
