// Run counters: one Float64Array with a named index per counter (Float64 so that sums across
// worker shards stay exact up to 2^53). Hot paths write `c.v[Counter.X]++`; nothing allocates.

export const COUNTER_NAMES = [
  // --- SM/SA: MADs sent and received, by kind (the MMO of DESIGN.md)
  'smSentReport',
  'smSentReportRetry',
  'smRecvReportResp',
  'smRecvInformInfo',
  'smSentInformInfoResp',
  'smRecvPathRecord',
  'smSentPathRecordResp',
  'smRecvGuidInfoRecord',
  'smSentGuidInfoRecordResp',
  'smRecvTrap',
  'smSentTrapRepress',
  'smRecvOther',
  'smSentErrorResp',
  'smDroppedMalformed',
  // --- SM/SA: what it did
  'smReportsAbandoned',
  'smReportsUndeliverable',
  'smReportRespUnmatched',
  'smNoticesRePath',
  'smNoticesUnPath',
  'smNoticesLifeCycle',
  'smRefusedSets',
  'smCreations',
  'smReboots',
  'smMigrations',
  'smDeletes',
  'smSubscribes',
  'smUnsubscribes',
  'smUnsubscribeUnmatched',
  'smPathRecordNoRecords',
  'smVguidsAssigned',
  // --- SM/SA: reliability and security (issue 7)
  'smSubscriptionsFull',
  'smTrapTableEvictions',
  'smTrapsIgnoredStale',
  'smMovesBeforeDelete',
  // --- SM/SA: queueing (issue 7 item 6). Peaks are maxima, not sums: the SM lives on one thread,
  // so summing shards leaves them intact; SubnetManager.resetQueuePeaks() starts a phase's peak.
  'smPeakSaQueue',
  'smPeakReportQueue',
  'smPeakReportsInFlight',
  'smReportWindowWaits',
  'smReportsRedriven',
  'smDuplicateRequests',
  'smNoticesOwed',
  'smNoticesOwedDelivered',
  // --- fabric (on the wire)
  'fabricMads',
  'fabricDropped',
  'fabricReport',
  'fabricReportResp',
  'fabricInformInfo',
  'fabricPathRecord',
  'fabricGuidInfoRecord',
  'fabricTrap',
  'fabricOther',
  // --- Dom0 (intra-host: not on the wire)
  'dom0NoticeForwards',
  'dom0DemuxToVf',
  'dom0VfTunnelOut',
  'dom0ReportsReceived',
  'dom0DuplicateReports',
  'dom0InformInfoAcks',
  'dom0SetsRefused',
  'dom0GuidsAssigned',
  'dom0Unroutable',
  'dom0RequestRetries',
  'dom0RequestsAbandoned',
  'dom0InformInfoRetries',
  'dom0InformInfoAbandoned',
  'dom0TrapRetries',
  'dom0TrapsAbandoned',
  'dom0RequestsRedriven',
  'dom0TrapRepressReceived',
  'dom0SpoofedNotices',
  'dom0TunnelRefused',
  'dom0VfSubscriptionsRefused',
  'dom0Dropped',
  'dom0GuidRecordAnswers',
  // --- VM SA agents
  'vmNoticesReceived',
  'vmCacheChecks',
  'vmCacheUpdates',
  'vmCacheInserts',
  'vmCacheRemovals',
  'vmCacheFull',
  'vmSaQueries',
  'vmSaQueryRetries',
  'vmSaQueryTimeouts',
  'vmSaQueriesAbandoned',
  'vmSaNoRecords',
  'vmInformInfoAcks',
  'vmConnectionsBroken',
  'vmConnectionsRestored',
  'vmPeerDetections',
  'vmAddressResolutions',
  'vmInformInfoRetries',
  'vmInformInfoAbandoned',
  'vmDropped',
  'vmPathRecordAnswers',
  'vmRequeriesAfterAbandon',
  // --- run
  'migrations',
  'migrationsSkipped',
  'staleEntries',
  'cacheEntries',
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];

/** Counter name -> index, e.g. Counter.smSentReport. */
export const Counter: Readonly<Record<CounterName, number>> = Object.freeze(
  Object.fromEntries(COUNTER_NAMES.map((n, i) => [n, i])) as Record<CounterName, number>,
);

export class Counters {
  readonly v: Float64Array;

  constructor(values?: Float64Array) {
    this.v = values ?? new Float64Array(COUNTER_NAMES.length);
    if (this.v.length !== COUNTER_NAMES.length) {
      throw new RangeError(`Counters values.length: ${this.v.length} is not ${COUNTER_NAMES.length}`);
    }
  }

  get(name: CounterName): number {
    return this.v[Counter[name]]!;
  }

  snapshot(): Counters {
    return new Counters(this.v.slice());
  }

  /** this - earlier, per counter (the counts of a phase). */
  minus(earlier: Counters): Counters {
    const out = new Float64Array(this.v.length);
    for (let i = 0; i < out.length; i++) out[i] = this.v[i]! - earlier.v[i]!;
    return new Counters(out);
  }

  /** Adds another shard's counters into this one. */
  addAll(other: Counters): void {
    for (let i = 0; i < this.v.length; i++) this.v[i] = this.v[i]! + other.v[i]!;
  }

  toObject(): Record<CounterName, number> {
    const o = {} as Record<CounterName, number>;
    COUNTER_NAMES.forEach((n, i) => (o[n] = this.v[i]!));
    return o;
  }
}
