// "Updates abandoned" (issue 7 item 7): updates the system gave up on for good, from a run's
// counters. With the cache entries stale at the end it makes the "updates lost" figure of the
// reliability table (bench/reliability-table.ts); load.bench.ts and loss.bench.ts both use it.
//
//  - Reports abandoned after every re-drive round (a subscriber never told);
//  - GUIDInfoRecord Sets/Deletes and InformInfo Sets abandoned by Dom0 or a VM (the SM's tables
//    or subscriptions never changed);
//  - life-cycle Traps never repressed.
// A VM's PathRecord query is a repair attempt, not an update: one abandoned for good leaves its
// cache entry stale, and the stale count already holds it (counted apart: queriesAbandoned).

export function updatesAbandoned(c: Readonly<Record<string, number>>): number {
  return (
    (c['smReportsAbandoned'] ?? 0) +
    (c['dom0RequestsAbandoned'] ?? 0) +
    (c['dom0InformInfoAbandoned'] ?? 0) +
    (c['dom0TrapsAbandoned'] ?? 0) +
    (c['vmInformInfoAbandoned'] ?? 0)
  );
}

/** PathRecord queries a VM gave up and did not ask again after its next RC timeout. */
export function queriesAbandoned(c: Readonly<Record<string, number>>): number {
  return (c['vmSaQueriesAbandoned'] ?? 0) - (c['vmRequeriesAfterAbandon'] ?? 0);
}

/** Rounds started after a request's re-sends ran out: SM Reports, Dom0 requests, VM re-queries. */
export function redrivesOf(c: Readonly<Record<string, number>>): number {
  return (c['smReportsRedriven'] ?? 0) + (c['dom0RequestsRedriven'] ?? 0) + (c['vmRequeriesAfterAbandon'] ?? 0);
}
