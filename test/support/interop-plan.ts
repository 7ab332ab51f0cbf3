// What the OpenSM-on-ibsim interop tests share: which simulated HCA runs the service and which
// run Dom0 agents, how their VMs are named, and the ground truth a cache is checked against
// (a fresh PathRecord query to OpenSM's SA with saquery).
import type { OpenSmFabric } from './opensm-ibsim.js';

export const SERVICE_HOST = 'Hca1';
export const DOM0_HOSTS = ['Hca2', 'Hca3', 'Hca4'] as const;

export interface VmPlan {
  name: string;
  /** Index into DOM0_HOSTS. */
  host: number;
  guid: string;
  peers: string[];
}

/** The vGUID of VM `n` in a run tagged `tag` (tags keep concurrent fabrics' GUIDs apart). */
export function planGuid(tag: number, n: number): string {
  return `0x0002c903${tag.toString(16).padStart(2, '0')}0000${n.toString(16).padStart(2, '0')}`;
}

/** The link-local GID of a GUID, in saquery's notation. */
export function gidOf(guid: string): string {
  const hex = guid.slice(2).padStart(16, '0');
  return `fe80:0000:0000:0000:${hex.slice(0, 4)}:${hex.slice(4, 8)}:${hex.slice(8, 12)}:${hex.slice(12, 16)}`;
}

/** The DLID OpenSM's SA answers for a PathRecord to `guid` now (saquery, a fresh query). */
export async function smDlid(fabric: OpenSmFabric, guid: string): Promise<number> {
  const r = await fabric.runTool(SERVICE_HOST, fabric.tools.saquery, ['-p', '--dgid', gidOf(guid)]);
  if (r.code !== 0) throw new Error(`saquery -p --dgid ${gidOf(guid)}: exit ${r.code}: ${r.stderr}`);
  // The reply is cut to its first MAD (ibsim has no RMPP): take the first record's DLID.
  const m = /dlid\.+(\d+)/.exec(r.stdout);
  if (m === null) throw new Error(`saquery -p --dgid ${gidOf(guid)}: no record: ${r.stdout}`);
  return Number(m[1]);
}
