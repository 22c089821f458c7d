/** Human-readable output of the `store`, `fetch` and `status` commands. */
import type { FetchReport, NodeStatus, StoreReport } from './node.js';

const short = (id: string | undefined): string => (id ? `${id.slice(0, 8)}…` : '?');
const ms = (x: number): string => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;
const hops = (n: number): string => `${n} hop${n === 1 ? '' : 's'}`;

function where(r: { index?: number; key?: string }): string {
  if (r.key !== undefined) return ` key "${r.key}"`;
  if (r.index !== undefined) return r.index === 0xffffffff ? ' (appended)' : ` index ${r.index}`;
  return '';
}

/** "stored 1 value of kind X at resource NAME on node ab12… in 3 hops, 4.1 ms". */
export function formatStore(r: StoreReport): string {
  const lines = [
    `stored ${r.values} value${r.values === 1 ? '' : 's'} of kind ${r.kind} (${r.model})${where(r)} at resource ${r.resource} on node ${short(r.storedAt)} in ${hops(r.hops)}, ${ms(r.rttMs)}`,
    `  resource-id ${r.resourceId}, generation ${r.generation}${
      r.replicas.length ? `, replicas on ${r.replicas.map(short).join(' ')}` : ''
    }`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The values of a fetch, one per line, after a summary line. */
export function formatFetch(r: FetchReport): string {
  const n = r.values.length;
  const lines = [
    `${n} value${n === 1 ? '' : 's'} of kind ${r.kind} (${r.model}) at resource ${r.resource} from node ${short(r.fetchedFrom)} in ${hops(r.hops)}, ${ms(r.rttMs)}`,
  ];
  for (const v of r.values) {
    const label =
      v.key !== undefined ? `${v.key} = ` : v.index !== undefined ? `[${v.index}] ` : '';
    lines.push(
      `  ${label}${v.value}    (signed by ${v.signer ?? short(v.signerNodeId)}, stored ${new Date(v.storageTime).toISOString()}, lifetime ${v.lifetime} s)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function duration(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

/** The status of a node, one fact per line. */
export function formatStatus(s: NodeStatus): string {
  const list = (ids: string[]): string => (ids.length ? ids.map(short).join(' ') : '-');
  const lines = [
    `Node-ID       ${s.nodeId}`,
    `overlay       ${s.overlay} (configuration sequence ${s.configurationSequence}${
      s.configurationExpires ? `, expires ${s.configurationExpires}` : ''
    })`,
    `user          ${s.username}`,
    `state         ${s.state}`,
    `listening     ${s.listen}`,
    `uptime        ${duration(s.uptimeSeconds)}`,
    `predecessors  ${list(s.predecessors)}`,
    `successors    ${list(s.successors)}`,
    `fingers       ${list(s.fingers)}`,
    `links         ${s.links.length}`,
    ...s.links.map(
      (l) =>
        `  ${short(l.nodeId)} ${l.address} ${l.protocol} ${l.state}${
          l.rttMs !== undefined ? ` rtt ${ms(l.rttMs)}` : ''
        }`,
    ),
    `stored        ${s.storedResources ?? 0} resource${s.storedResources === 1 ? '' : 's'}, ${s.storedBytes ?? 0} bytes`,
    `kinds         ${s.kinds.map((k) => `${k.name ?? k.id} ${k.dataModel}`).join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
}
