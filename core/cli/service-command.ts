// `repath service`: the RePath/UnPath signalling service beside a real SM (OpenSM), on any port.
// Dom0 agents subscribe to it (InformInfo, traps 68/69, per PF or per vGUID) and set/delete
// their VMs' alias GUIDs through it; it relays those and PathRecord queries to the SM, checks
// what the SM echoes, runs the trap table and sends the Reports. Control lines on stdin:
// `stats` (counters as one JSON line), `flush` (write the --pcap trace), `quit`.
import { Method } from '../mad/constants.js';
import { Counters } from '../metrics/counters.js';
import { ReportScope } from '../sm/subnet-manager.js';
import { SignallingService, guidHex } from '../service/signalling-service.js';
import { ServiceStore, ServiceStoreError } from '../service/service-store.js';
import { NativeProcess, controlLoop, nativeCostModel } from '../native-transport/native-process.js';
import { formatFlagHelp, parseArgs, UsageError, type FlagSpecs } from './args.js';
import type { CliIo, Command } from './command.js';

const flags = {
  ca: { type: 'string', valueName: 'CA', description: 'CA name (default: the first CA libibumad lists)' },
  port: { type: 'nonNegativeInteger', valueName: 'N', description: 'port number (default 0: the first active port)' },
  ibsim: { type: 'boolean', description: 'running on ibsim: take the IsSM quirk (to receive requests and Reports) and carry VF GUIDs in the GRH trailer. Never on a real fabric' },
  'report-scope': { type: 'choice', choices: ['all', 'interested'], default: 'all', description: 'Report every matching subscriber (per-pf, per-vguid) or only hosts whose VMs asked for a path (per-pf-interest)' },
  'max-hosts': { type: 'positiveInteger', default: 1024, valueName: 'N', description: 'host ports tracked' },
  slots: { type: 'positiveInteger', default: 32, valueName: 'N', description: 'alias GUID indices per port tracked (beyond index 0)' },
  'trap-expiry-ms': { type: 'nonNegativeInteger', valueName: 'MS', description: 'send UnPath (trap 68) for an alias deleted and not set again within MS ms (default: never, as the patent keeps parked records)' },
  pcap: { type: 'string', valueName: 'FILE', description: 'write every MAD sent and received to FILE (ERF pcap, for tshark/Wireshark) on flush and exit' },
  db: { type: 'string', valueName: 'FILE', description: 'keep host ports, alias GUIDs, the trap table, subscriptions and unanswered notices in the SQLite database FILE (WAL mode; created if missing, loaded if present). Default: nothing persists' },
  'db-sync': { type: 'choice', choices: ['full', 'normal'], default: 'full', description: 'with --db: fsync every commit before the acknowledgement leaves (full), or only at WAL checkpoints (normal: survives a crash of the process, not of the machine)' },
  'json-log': { type: 'boolean', description: 'log hosts, alias moves and refusals as JSON lines on stderr' },
  daemon: { type: 'boolean', description: 'ignore stdin (run until SIGTERM/SIGINT; SIGUSR2 prints the stats line on stdout)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies FlagSpecs;

export const serviceCommand: Command = {
  name: 'service',
  summary: 'run the RePath/UnPath signalling service beside a real SM (OpenSM)',
  help: () => `usage: repath service [options]

Runs on any port of the subnet beside OpenSM. Dom0 agents (repath dom0) subscribe to it and set
their VMs' alias GUIDs through it; it relays GUIDInfoRecord and PathRecord requests to the SM,
runs the trap table (Algorithm 1) and sends Report(Notice 69/68), retried until ReportResp.
Prints one JSON line when ready; then reads control lines on stdin:
  stats   the SM-side counters, relay and transport counts, as one JSON line
  flush   write the --pcap trace now
  quit    stop (also on end of stdin, SIGTERM, SIGINT)
SIGUSR2 prints the stats line at any time; with --daemon stdin is not read at all.

With --db FILE the service is restartable: every change (host port learnt, alias GUID set or
deleted, record parked or unparked, subscription made or removed, RePath/UnPath notice) is
committed to FILE before the MAD that acknowledges it is sent, and a start on an existing FILE
loads it, so a migration whose Delete was acknowledged before a crash is still detected by the
Set after the restart. Notices whose Reports were not all answered are reported again on start.
A file that is not a repath service database (or is corrupt) stops the service with one line.

options:
${formatFlagHelp(flags)}`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { flags: f } = parseArgs(argv, flags);
    const log = f['json-log'] ? (event: Record<string, unknown>) => io.stderr(`${JSON.stringify(event)}\n`) : undefined;
    // The database first: a file that is not ours stops the service before it touches the port.
    let store: ServiceStore | undefined;
    if (f.db !== undefined) {
      try {
        store = ServiceStore.open(f.db, { slotsPerHost: f.slots, sync: f['db-sync'] === 'normal' ? 'normal' : 'full' });
      } catch (e) {
        if (e instanceof ServiceStoreError) throw new UsageError(e.message);
        throw e;
      }
    }
    let proc: NativeProcess;
    try {
      proc = new NativeProcess({
        ...(f.ca !== undefined ? { caName: f.ca } : {}),
        ...(f.port !== undefined ? { portNum: f.port } : {}),
        ibsim: f.ibsim ?? false,
        ...(f.pcap !== undefined ? { pcapPath: f.pcap } : {}),
        saMethods: [Method.Get, Method.Set, Method.Delete],
      }, (e) => log?.({ event: 'send-error', message: e.message }));
    } catch (e) {
      store?.close();
      throw e;
    }
    try {
      const counters = new Counters();
      let service: SignallingService;
      try {
        service = new SignallingService({
          transport: proc.transport,
          scheduler: proc.scheduler,
          cost: nativeCostModel(f['trap-expiry-ms'] !== undefined && f['trap-expiry-ms'] > 0 ? { trapExpiryNs: f['trap-expiry-ms'] * 1e6 } : {}),
          counters,
          maxHosts: f['max-hosts'],
          slotsPerHost: f.slots,
          reportScope: f['report-scope'] === 'interested' ? ReportScope.Interested : ReportScope.All,
          ...(log !== undefined ? { log } : {}),
          ...(store !== undefined ? { store } : {}),
        });
      } catch (e) {
        // A database that does not fit this service (--max-hosts, bounds) is the caller's to fix.
        if (e instanceof ServiceStoreError) throw new UsageError(e.message);
        throw e;
      }
      proc.onEvent((k, a, b, c, n) => service.onEvent(k, a, b, c, n));
      const t = proc.transport;
      io.stdout(`${JSON.stringify({
        ready: true, role: 'service', lid: t.lid, portGuid: guidHex(t.portGuidHigh, t.portGuidLow), smLid: t.smLid, ibsim: f.ibsim ?? false,
        ...(store !== undefined ? { db: store.path, restored: service.restored } : {}),
      })}\n`);
      await controlLoop(io.stdout, (words) => {
        switch (words[0]) {
          case 'stats':
            return {
              ok: true,
              counters: nonZero(counters.toObject()),
              service: { ...service.stats },
              transport: { ...t.stats },
              subscriptions: service.sm.subscriptions.count,
              parked: service.sm.trapTable.size,
              vguids: service.sm.vguidsOnPorts,
              reportsOutstanding: service.sm.reports.outstanding,
              relaysInFlight: service.relaysInFlight,
              ...(store !== undefined && service.journal !== undefined
                ? { store: { ...service.journal.stats, writes: store.writes, commits: store.commits, rows: store.counts() } }
                : {}),
            };
          case 'flush':
            return { ok: true, mads: proc.flushTrace() };
          case 'quit':
            return null;
          default:
            return { ok: false, error: `command: ${JSON.stringify(words[0])} is not stats, flush or quit` };
        }
      }, !(f.daemon ?? false));
    } finally {
      proc.close();
      store?.close();
    }
    return 0;
  },
};

export function nonZero(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 0));
}
