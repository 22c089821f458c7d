/**
 * Destination-list processing of RFC 6940 §6.1 (receipt and forwarding) and §6.2 (symmetric
 * recursive routing), as pure functions over decoded forwarding headers.
 */
import type { Destination, ForwardingHeader } from '@reload/wire';

/** What the transport asks of the topology plug-in and the connection table. */
export interface RoutingTable {
  /** This node's Node-ID. */
  readonly nodeId: Uint8Array;
  /** True when this node is responsible for `id` (Chord: `id ∈ (predecessor, self]`, §10.1). */
  isResponsible(id: Uint8Array): boolean;
  /** True when a link to `nodeId` is in the Connection Table (§6.1.2). */
  isConnected(nodeId: Uint8Array): boolean;
  /** The connected peer to forward towards `id` (§10.3), or undefined if there is none. */
  nextHop(id: Uint8Array): Uint8Array | undefined;
}

/** A routing decision for a message whose destination list has been examined. */
export type RouteDecision =
  /** Deliver to this node's upper layers; `destinationList` is what remains (head = us). */
  | { action: 'deliver'; destinationList: Destination[] }
  /** Send to the connected peer `to`, with the (possibly shortened) destination list. */
  | { action: 'forward'; to: Uint8Array; destinationList: Destination[] }
  /** Drop the message; `reason` for the log/counter; `error` when an error answer is due. */
  | { action: 'drop'; reason: string; error?: number };

/** True for the all-ones wildcard Node-ID (§3, "Wildcard Node-ID"). */
export function isWildcard(id: Uint8Array): boolean {
  for (const b of id) if (b !== 0xff) return false;
  return id.length > 0;
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Examines the destination list per §6.1: pops entries naming this node, expands opaque ids
 * with `expandOpaque` (§6.1.3), and decides to deliver, forward or drop.
 */
export function routeDestinationList(
  list: readonly Destination[],
  table: RoutingTable,
  expandOpaque: (d: Destination) => Destination[] | undefined,
): RouteDecision {
  const dests = list.slice();
  for (let guard = 0; guard < 1024; guard++) {
    const head = dests[0];
    if (head === undefined) return { action: 'drop', reason: 'empty destination list' };
    switch (head.kind) {
      case 'opaque':
      case 'compressed': {
        // §6.1.3: replace the opaque id with the list it stands for, then look again.
        const expanded = expandOpaque(head);
        if (!expanded) return { action: 'drop', reason: 'unknown opaque destination id' };
        dests.splice(0, 1, ...expanded);
        continue;
      }
      case 'unknown':
        return { action: 'drop', reason: `unknown destination type ${head.type}` };
      case 'resource': {
        if (table.isResponsible(head.resourceId)) {
          // §6.1.1: a Resource-ID for which we are responsible must be the only entry.
          if (dests.length !== 1) {
            return { action: 'drop', reason: 'Resource-ID not last in destination list' };
          }
          return { action: 'deliver', destinationList: dests };
        }
        const to = table.nextHop(head.resourceId);
        if (!to) return { action: 'drop', reason: 'no route to resource' };
        return { action: 'forward', to, destinationList: dests };
      }
      case 'node': {
        const id = head.nodeId;
        if (isWildcard(id)) return { action: 'deliver', destinationList: dests };
        if (sameId(id, table.nodeId)) {
          if (dests.length === 1) return { action: 'deliver', destinationList: dests };
          dests.shift();
          continue;
        }
        if (table.isConnected(id)) return { action: 'forward', to: id, destinationList: dests };
        if (table.isResponsible(id)) {
          // §6.1.1: a Node-ID we are responsible for but that is not us and not a connected
          // client: drop silently.
          return { action: 'drop', reason: 'Node-ID in our range is not connected' };
        }
        const to = table.nextHop(id);
        if (!to) return { action: 'drop', reason: 'no route to node' };
        return { action: 'forward', to, destinationList: dests };
      }
    }
  }
  return { action: 'drop', reason: 'destination list expansion loop' };
}

/**
 * §6.2.2 / §6.1.2: the destination list of a response to a request that arrived from
 * `previousHop` with `header.viaList`: reverse(via ‖ previousHop). For a request this node
 * originated itself (previousHop undefined), the list is reverse(via).
 */
export function responseDestinationList(
  header: ForwardingHeader,
  previousHop: Uint8Array | undefined,
): Destination[] {
  const via = header.viaList.slice();
  if (previousHop) via.push({ kind: 'node', nodeId: previousHop });
  return via.reverse();
}

/** True when `nodeId` already appears in a via list (a forwarding loop, §6.1.2). */
export function viaContains(via: readonly Destination[], nodeId: Uint8Array): boolean {
  return via.some((d) => d.kind === 'node' && sameId(d.nodeId, nodeId));
}
