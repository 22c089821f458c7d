/**
 * The `reload:` URI (RFC 6940 §14.15) as used in certificates (§11.3):
 * `reload://<hex Destination List>@<overlay>/[<hex StoredDataSpecifier>]`.
 *
 * A certificate's URI carries a Destination List "with a single entry of type node_id"
 * (§11.3), so the destination part is the hex of `01 <len> <Node-ID>` — see
 * docs/decisions/0200-reload-uri-destination-list.md.
 */
import { ReloadError } from '@reload/wire';
import { nodeIdToHex } from './ids.js';

/** DestinationType values (§6.3.2.2). */
const DEST_NODE = 1;

/** One entry of a Destination List (§6.3.2.2); `opaque` covers both opaque forms. */
export interface UriDestination {
  /** 1 node, 2 resource, 3 opaque_id_type (the 16-bit compressed form is reported as 3). */
  type: number;
  data: Uint8Array;
}

/** A parsed `reload:` URI. */
export interface ReloadUri {
  destinations: UriDestination[];
  overlay: string;
  /** Raw StoredDataSpecifier bytes, when the URI addresses a data value. */
  specifier?: Uint8Array;
}

/** `reload://01<len><node-id>@<overlay>/` for a Node-ID (§11.3, §14.15). */
export function nodeIdUri(nodeId: Uint8Array, overlay: string): string {
  if (nodeId.length < 1 || nodeId.length > 255) {
    throw new ReloadError('BAD_NODE_ID', `Node-ID of ${nodeId.length} bytes`);
  }
  const prefix = Buffer.from([DEST_NODE, nodeId.length]).toString('hex');
  return `reload://${prefix}${nodeIdToHex(nodeId)}@${overlay}/`;
}

const URI_RE = /^reload:\/\/([0-9a-fA-F]+)@([A-Za-z0-9._~!$&'()*+,;=%-]+)\/([0-9a-fA-F]*)$/;

function bad(uri: string, why: string): ReloadError {
  return new ReloadError('BAD_RELOAD_URI', `${JSON.stringify(uri)}: ${why}`);
}

/**
 * Parses a `reload:` URI (§14.15). Throws ReloadError('BAD_RELOAD_URI') when the syntax or
 * the hex Destination List is malformed.
 */
export function parseReloadUri(uri: string): ReloadUri {
  const m = URI_RE.exec(uri);
  if (!m) throw bad(uri, 'not reload://<hex destination list>@<overlay>/[hex specifier]');
  const [, destHex = '', overlay = '', specHex = ''] = m;
  if (destHex.length % 2 !== 0) throw bad(uri, 'odd number of hex digits in destination');
  if (specHex.length % 2 !== 0) throw bad(uri, 'odd number of hex digits in specifier');
  const bytes = Buffer.from(destHex, 'hex');
  const destinations: UriDestination[] = [];
  let i = 0;
  while (i < bytes.length) {
    const first = bytes[i] ?? 0;
    if (first & 0x80) {
      // 16-bit compressed opaque id (§6.3.2.2).
      if (i + 2 > bytes.length) throw bad(uri, 'truncated compressed destination');
      destinations.push({ type: 3, data: new Uint8Array(bytes.subarray(i, i + 2)) });
      i += 2;
      continue;
    }
    if (i + 2 > bytes.length) throw bad(uri, 'truncated destination');
    const len = bytes[i + 1] ?? 0;
    if (i + 2 + len > bytes.length) throw bad(uri, 'destination length past the end');
    if (first === 0) throw bad(uri, 'invalid destination type 0');
    destinations.push({ type: first, data: new Uint8Array(bytes.subarray(i + 2, i + 2 + len)) });
    i += 2 + len;
  }
  if (destinations.length === 0) throw bad(uri, 'empty destination list');
  const out: ReloadUri = { destinations, overlay };
  if (specHex.length > 0) out.specifier = new Uint8Array(Buffer.from(specHex, 'hex'));
  return out;
}

/**
 * The Node-ID of a certificate URI: exactly one destination of type node (§11.3).
 * Throws ReloadError('BAD_RELOAD_URI') otherwise.
 */
export function nodeIdFromUri(uri: string): { nodeId: Uint8Array; overlay: string } {
  const u = parseReloadUri(uri);
  const [d] = u.destinations;
  if (u.destinations.length !== 1 || !d || d.type !== DEST_NODE || u.specifier) {
    throw bad(uri, 'a certificate URI must hold a single node_id destination and no specifier');
  }
  return { nodeId: d.data, overlay: u.overlay };
}
