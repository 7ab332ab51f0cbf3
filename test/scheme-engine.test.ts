// The pieces under the schemes: the event queue, the cost model, the emulated fabric and its
// MAD slab, the counters.
import test from 'ava';
import { EventQueue } from '../core/engine/event-queue.js';
import {
  COST_PARAMETERS,
  COST_PARAMETER_NAMES,
  costModelTable,
  defaultCostModel,
  rcDetectionNs,
  withOverrides,
} from '../core/engine/cost-model.js';
import { EmulatedFabric } from '../core/fabric/emulated-fabric.js';
import { MadSlab } from '../core/fabric/mad-slab.js';
import { SinkRole, type MadSink } from '../core/fabric/transport.js';
import { Counters, COUNTER_NAMES } from '../core/metrics/counters.js';
import { MadView } from '../core/mad/mad-view.js';
import { GSI_QP, Method, SaAttr } from '../core/mad/constants.js';
import { Xoshiro128 } from '../core/random.js';
import { flatTopology } from './patent-fixtures.js';

test('event queue: time order, ties in insertion order, growth', (t) => {
  const q = new EventQueue(16);
  const rng = new Xoshiro128(7);
  const times: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const time = rng.nextInt(50) * 10;
    times.push(time);
    q.push(time, 1, i, 0, 0);
  }
  let lastTime = -1;
  let lastSeq = -1;
  let n = 0;
  while (q.pop()) {
    t.true(q.nowNs >= lastTime);
    if (q.nowNs === lastTime) t.true(q.a > lastSeq, 'same time: pushed first, popped first');
    t.is(times[q.a], q.nowNs);
    lastTime = q.nowNs;
    lastSeq = q.a;
    n++;
  }
  t.is(n, 5000);
  t.is(q.popped, 5000);
});

test('event queue: scheduling in the past is refused, naming the time', (t) => {
  const q = new EventQueue();
  q.push(100, 1, 0, 0, 0);
  q.pop();
  t.throws(() => q.push(50, 2, 0, 0, 0), { message: /timeNs: 50 is before now \(100\)/ });
  t.throws(() => q.push(Infinity, 2, 0, 0, 0), { message: /timeNs/ });
});

test('cost model: every parameter has a default, a unit and a source', (t) => {
  const m = defaultCostModel();
  for (const k of COST_PARAMETER_NAMES) {
    const info = COST_PARAMETERS[k];
    t.is(m[k], info.default);
    t.true(info.unit.length > 0, k);
    t.true(info.source.length > 10, k);
  }
  t.is(costModelTable().length, COST_PARAMETER_NAMES.length);
  t.is(m.trapExpiryNs, Infinity, 'the patent keeps parked records forever');
  t.is(rcDetectionNs(m), 4096 * 2 ** 14 * 7);
});

test('cost model overrides: unknown keys and bad values are refused by name', (t) => {
  const m = withOverrides(defaultCostModel(), { hopLatencyNs: 300, rcLocalAckTimeoutExp: 10 });
  t.is(m.hopLatencyNs, 300);
  t.is(rcDetectionNs(m), 4096 * 1024 * 7);
  t.throws(() => withOverrides(m, { hopLatency: 3 }), { message: /unknown parameter "hopLatency"/ });
  t.throws(() => withOverrides(m, { smServiceNs: -1 }), { message: /smServiceNs: -1 is below 0/ });
  t.throws(() => withOverrides(m, { rcRetryCount: 8 }), { message: /rcRetryCount: 8 is above 7/ });
  t.throws(() => withOverrides(m, { rcRetryCount: 2.5 }), { message: /rcRetryCount: 2.5 is not an integer/ });
  t.throws(() => withOverrides(m, { hopLatencyNs: Infinity }), { message: /hopLatencyNs: Infinity must be finite/ });
  t.throws(() => withOverrides(m, { hopLatencyNs: '5' }), { message: /hopLatencyNs: 5 is not a number/ });
  t.is(withOverrides(m, { trapExpiryNs: Infinity }).trapExpiryNs, Infinity);
  t.throws(() => withOverrides(m, { lossProbability: 1 }), { message: /lossProbability: 1 is above/ });
});

test('fabric: latency = HCA cost + hops x hop latency; MADs counted by kind; slab slots reused', (t) => {
  const q = new EventQueue();
  const counters = new Counters();
  const cost = defaultCostModel();
  const fabric = new EmulatedFabric({ topology: flatTopology, cost, queue: q, counters, seed: 1, slab: new MadSlab(16) });
  const got: { lid: number; at: number; guid: number }[] = [];
  const sink: MadSink = {
    receive(_m, srcLid, _sq, _sh, _sl, _dl, _dq, _dh, dstGuidLow, nowNs) {
      got.push({ lid: srcLid, at: nowNs, guid: dstGuidLow });
    },
  };
  fabric.setLidHost(2, 0);
  fabric.setLidHost(3, 1);
  fabric.setLidHost(1, -1);
  fabric.bind(1, SinkRole.Sm, sink);
  fabric.bind(2, SinkRole.Host, sink);
  fabric.bind(3, SinkRole.Host, sink);
  const v = new MadView().wrapForWrite(new Uint8Array(256));
  v.initSa(Method.Get, SaAttr.PathRecord, 0, 0);
  for (let i = 0; i < 100; i++) fabric.send(v.bytes, 2, GSI_QP, 0, 0, 3, GSI_QP, 0, 42, 0);
  fabric.send(v.bytes, 2, GSI_QP, 0, 0, 1, GSI_QP, 0, 0, 0);
  while (q.pop()) fabric.deliver(q.a, q.nowNs);
  t.is(got.length, 101);
  const toHost = got.filter((g) => g.guid === 42);
  const toSm = got.filter((g) => g.guid === 0);
  t.is(toHost.length, 100, 'the GRH DGID travels with the MAD');
  for (const g of toHost) t.is(g.at, cost.hcaMadNs + 3 * cost.hopLatencyNs, 'host to host: 3 hops');
  t.is(toSm[0]!.at, cost.hcaMadNs + 1 * cost.hopLatencyNs, 'host to SM: 1 hop');
  t.is(counters.get('fabricMads'), 101);
  t.is(counters.get('fabricPathRecord'), 101);
  t.is(fabric.slab.inUse, 0, 'every slot back on the free list');
  t.true(fabric.slab.slots >= 101);
});

test('slab: share() keeps a live slot of its own with one more reference, and copies anything else', (t) => {
  const slab = new MadSlab(16);
  const mad = new Uint8Array(256).fill(7);
  const a = slab.allocCopy(mad);
  const view = slab.bytes(a);
  t.is(slab.share(view), a, 'its own live view: the same slot');
  t.is(slab.inUse, 1);
  slab.release(a);
  t.is(slab.inUse, 1, 'the second reference keeps it');
  slab.release(a);
  t.is(slab.inUse, 0);
  // A freed slot's view, a foreign buffer and a subarray of the slab that is not a slot's view: copies.
  const b = slab.share(view);
  t.not(slab.bytes(b), mad);
  t.deepEqual(slab.bytes(b), view);
  const c = slab.share(mad);
  t.not(c, b);
  t.deepEqual(slab.bytes(c), mad);
  t.is(slab.inUse, 2);
});

test('fabric: a LID shared by the SM and a host hands SA requests to the SM, Reports to the host', (t) => {
  const q = new EventQueue();
  const counters = new Counters();
  const fabric = new EmulatedFabric({ topology: flatTopology, cost: defaultCostModel(), queue: q, counters, seed: 1 });
  const seen: string[] = [];
  const sm: MadSink = { receive: () => void seen.push('sm') };
  const host: MadSink = { receive: () => void seen.push('host') };
  fabric.setLidHost(1, 0);
  fabric.bind(1, SinkRole.Sm, sm);
  fabric.bind(1, SinkRole.Host, host);
  const v = new MadView().wrapForWrite(new Uint8Array(256));
  for (const method of [Method.Get, Method.Report, Method.ReportResp, Method.GetResp]) {
    v.initSa(method, method === Method.Report || method === Method.ReportResp ? SaAttr.Notice : SaAttr.PathRecord, 0, 0);
    fabric.send(v.bytes, 1, GSI_QP, 0, 0, 1, GSI_QP, 0, 0, 0);
    while (q.pop()) fabric.deliver(q.a, q.nowNs);
  }
  t.deepEqual(seen, ['sm', 'host', 'sm', 'host']);
});

test('counters: named, summable, phase differences', (t) => {
  const a = new Counters();
  a.v[0] = 5;
  const snap = a.snapshot();
  a.v[0] = 8;
  t.is(a.minus(snap).v[0], 3);
  const b = new Counters();
  b.addAll(a);
  b.addAll(a);
  t.is(b.get(COUNTER_NAMES[0]), 16);
  t.is(Object.keys(a.toObject()).length, COUNTER_NAMES.length);
  t.throws(() => new Counters(new Float64Array(3)), { message: /values.length: 3/ });
});
