// `repath dom0`: one hypervisor's Dom0 agent beside a real SM, talking to `repath service`.
// Its VMs are emulated in this process (no real VFs); their caches fill with real PathRecord
// queries. Control lines on stdin, one JSON line answered for each:
//   create <vm> <vguid>        a VM in a free VF slot, its alias GUID set through the service
//   migrate-out <vm>           the VM leaves (its alias GUID deleted through the service)
//   migrate-in <vm> <vguid>    a VM arrives (alias set; the service sends RePath if it moved)
//   peer <vm> <peer vguid>     the VM's SA agent caches a path to the peer (PathRecord query)
//   cache                      every VM's cache: [{name, vguid, attached, entries: [{vguid, dlid}]}]
//   stats | flush | quit
import { Method } from '../mad/constants.js';
import { Counters } from '../metrics/counters.js';
import { Dom0Agent } from '../agent/dom0-agent.js';
import { guidHex } from '../service/signalling-service.js';
import { NativeProcess, controlLoop, nativeCostModel, parseGuid } from '../native-transport/native-process.js';
import { formatFlagHelp, parseArgs, UsageError, type FlagSpecs } from './args.js';
import type { CliIo, Command } from './command.js';
import { nonZero } from './service-command.js';

const flags = {
  ca: { type: 'string', valueName: 'CA', description: 'CA name (default: the first CA libibumad lists)' },
  port: { type: 'nonNegativeInteger', valueName: 'N', description: 'port number (default 0: the first active port)' },
  'service-lid': { type: 'positiveInteger', valueName: 'LID', description: 'LID of the port `repath service` runs on (required)' },
  subscriber: { type: 'choice', choices: ['pf', 'vguid'], default: 'pf', description: 'who subscribes: the PF with its port GUID (per-pf), or every VM with its vGUID (per-vguid)' },
  'path-via': { type: 'choice', choices: ['sm', 'service'], default: 'sm', description: 'per-pf: VMs ask the SM for PathRecords directly, or through the service (per-vguid always uses the service)' },
  slots: { type: 'positiveInteger', default: 4, valueName: 'N', description: 'VF slots (alias GUID indices 1..N; must fit the port\'s GUIDCap)' },
  'max-peers': { type: 'positiveInteger', default: 16, valueName: 'N', description: 'peers per VM' },
  ibsim: { type: 'boolean', description: 'running on ibsim: take the IsSM quirk (to receive Reports) and carry VF GUIDs in the GRH trailer. Never on a real fabric' },
  pcap: { type: 'string', valueName: 'FILE', description: 'write every MAD sent and received to FILE (ERF pcap) on flush and exit' },
  'json-log': { type: 'boolean', description: 'log send errors as JSON lines on stderr' },
  daemon: { type: 'boolean', description: 'ignore stdin (run until SIGTERM/SIGINT; SIGUSR2 prints the stats line on stdout)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies FlagSpecs;

export const dom0Command: Command = {
  name: 'dom0',
  summary: 'run one hypervisor\'s Dom0 agent (emulated VMs) against repath service and a real SM',
  help: () => `usage: repath dom0 --service-lid LID [options]

One per hypervisor port. Subscribes to repath service (per PF, or per VM vGUID), manages its
VMs' alias GUIDs through it, fills the VMs' path caches with PathRecord queries and forwards
RePath/UnPath notices to its VMs (Algorithm 2). Prints one JSON line when ready; then reads
control lines on stdin, answering each with one JSON line:
  create <vm> <vguid> | migrate-out <vm> | migrate-in <vm> <vguid> | peer <vm> <peer-vguid>
  cache | stats | flush | quit

options:
${formatFlagHelp(flags)}`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { flags: f } = parseArgs(argv, flags);
    if (f['service-lid'] === undefined) throw new UsageError('--service-lid: missing (the LID of the port repath service runs on)');
    if (f.subscriber === 'vguid' && f.ibsim !== true) {
      // A VF subscriber is named by the GRH SGID; the addon sends no GRH, so on a real fabric every
      // VM's InformInfo would look like its PF's. Refused rather than silently merged.
      throw new UsageError('--subscriber vguid: needs --ibsim (VF GUIDs travel in the GRH trailer there; the addon sends no GRH on a real fabric)');
    }
    const log = f['json-log'] ? (event: Record<string, unknown>) => io.stderr(`${JSON.stringify(event)}\n`) : undefined;
    const proc = new NativeProcess({
      ...(f.ca !== undefined ? { caName: f.ca } : {}),
      ...(f.port !== undefined ? { portNum: f.port } : {}),
      ibsim: f.ibsim ?? false,
      ...(f.pcap !== undefined ? { pcapPath: f.pcap } : {}),
      saMethods: [Method.Report],
    }, (e) => log?.({ event: 'send-error', message: e.message }));
    try {
      const counters = new Counters();
      const agent = new Dom0Agent({
        transport: proc.transport,
        scheduler: proc.scheduler,
        cost: nativeCostModel(),
        counters,
        serviceLid: f['service-lid'],
        slots: f.slots,
        maxPeers: f['max-peers'],
        subscriber: f.subscriber === 'vguid' ? 'vguid' : 'pf',
        pathVia: f['path-via'] === 'service' ? 'service' : 'sm',
      });
      proc.onEvent((k, a, b, c, n) => agent.onEvent(k, a, b, c, n));
      if (agent.subscriber === 'pf') agent.subscribePf();
      const t = proc.transport;
      io.stdout(`${JSON.stringify({ ready: true, role: 'dom0', lid: t.lid, portGuid: guidHex(t.portGuidHigh, t.portGuidLow), smLid: t.smLid, serviceLid: f['service-lid'] })}\n`);
      await controlLoop(io.stdout, (w) => {
        switch (w[0]) {
          case 'create':
          case 'migrate-in': {
            const [h, l] = parseGuid('vguid', w[2]);
            if (w[1] === undefined) throw new Error(`${w[0]}: missing VM name`);
            return { ok: true, vm: w[1], slot: agent.create(w[1], h, l, w[0] === 'migrate-in') };
          }
          case 'migrate-out':
            if (w[1] === undefined) throw new Error('migrate-out: missing VM name');
            return { ok: true, vm: w[1], slot: agent.migrateOut(w[1]) };
          case 'peer': {
            const [h, l] = parseGuid('peer vguid', w[2]);
            if (w[1] === undefined) throw new Error('peer: missing VM name');
            return { ok: true, vm: w[1], edge: agent.peer(w[1], h, l) };
          }
          case 'cache':
            return { ok: true, vms: agent.cache() };
          case 'stats':
            return { ok: true, counters: nonZero(counters.toObject()), transport: { ...t.stats } };
          case 'flush':
            return { ok: true, mads: proc.flushTrace() };
          case 'quit':
            return null;
          default:
            return { ok: false, error: `command: ${JSON.stringify(w[0])} is not create, migrate-out, migrate-in, peer, cache, stats, flush or quit` };
        }
      }, !(f.daemon ?? false));
    } finally {
      proc.close();
    }
    return 0;
  },
};
