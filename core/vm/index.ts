// The VMs' SA agents: path caches, Algorithm 3, RC connections to peers.
export { VmAgents, Conn, type PfTunnel, type VmAgentsOptions } from './vm-agents.js';
