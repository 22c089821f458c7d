/**
 * A small authoritative DNS responder (UDP) for the hosted overlays, built on `dns-packet`:
 * `_reload-config._tcp.<overlay>` SRV → the HTTPS listener (RFC 6940 §11.2, §14.2), and A/AAAA
 * for each overlay name → the listen address. Other names get NXDOMAIN; malformed datagrams
 * are dropped and counted.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';
import * as dnsPacket from 'dns-packet';

/** Options of {@link startDnsResponder}. */
export interface DnsResponderOptions {
  /** Hosted overlay names. */
  overlays: string[];
  /** Address to bind, e.g. `127.0.0.1`. */
  host: string;
  /** UDP port (0 = any). */
  port: number;
  /** Port of the HTTPS listener (SRV target port). */
  httpsPort: number;
  /** Address(es) the overlay names resolve to (IPv4 → A, IPv6 → AAAA). */
  addresses: string[];
  /** TTL of the records, seconds (default 60). */
  ttl?: number;
}

/** A running responder. */
export interface DnsResponder {
  /** The bound UDP port. */
  port: number;
  /** Counters: answered queries and dropped (malformed) datagrams. */
  stats: { answered: number; dropped: number };
  /** Stops it. */
  close(): Promise<void>;
}

const NXDOMAIN = 3;
const FORMERR = 1;

/** Builds the answer to one decoded query (exported for unit tests). */
export function answerQuery(
  query: dnsPacket.DecodedPacket,
  opts: Pick<DnsResponderOptions, 'overlays' | 'httpsPort' | 'addresses' | 'ttl'>,
): dnsPacket.Packet {
  const ttl = opts.ttl ?? 60;
  const hosted = new Set(opts.overlays.map((o) => o.toLowerCase()));
  const answers: dnsPacket.Answer[] = [];
  const additionals: dnsPacket.Answer[] = [];
  let rcode = 0;
  const questions = query.questions ?? [];
  if (questions.length !== 1) rcode = FORMERR;
  const addressRecords = (name: string, type: 'A' | 'AAAA'): dnsPacket.Answer[] =>
    opts.addresses
      .filter((a) => (type === 'A' ? isIPv4(a) : isIPv6(a)))
      .map((data) => ({ type, name, ttl, class: 'IN' as const, data }));
  for (const q of rcode === 0 ? questions : []) {
    const name = q.name.toLowerCase().replace(/\.$/, '');
    const srv = /^_reload-config\._tcp\.(.+)$/.exec(name);
    if (srv && hosted.has(srv[1])) {
      if (q.type === 'SRV' || (q.type as string) === 'ANY') {
        answers.push({
          type: 'SRV',
          name: q.name,
          ttl,
          class: 'IN',
          data: { priority: 0, weight: 0, port: opts.httpsPort, target: srv[1] },
        });
        additionals.push(...addressRecords(srv[1], 'A'), ...addressRecords(srv[1], 'AAAA'));
      }
    } else if (hosted.has(name)) {
      if (q.type === 'A' || q.type === 'AAAA') answers.push(...addressRecords(q.name, q.type));
      else if ((q.type as string) === 'ANY')
        answers.push(...addressRecords(q.name, 'A'), ...addressRecords(q.name, 'AAAA'));
    } else {
      rcode = NXDOMAIN;
    }
  }
  return {
    type: 'response',
    id: query.id ?? 0,
    flags:
      dnsPacket.AUTHORITATIVE_ANSWER | (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | rcode,
    questions,
    answers,
    additionals,
  };
}

/** Starts the UDP responder. */
export async function startDnsResponder(opts: DnsResponderOptions): Promise<DnsResponder> {
  const sock: Socket = createSocket(isIPv6(opts.host) ? 'udp6' : 'udp4');
  const stats = { answered: 0, dropped: 0 };
  sock.on('message', (msg, rinfo) => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
      if (query.type !== 'query') throw new Error('not a query');
    } catch {
      stats.dropped++;
      return;
    }
    let out: Buffer;
    try {
      out = dnsPacket.encode(answerQuery(query, opts));
    } catch {
      stats.dropped++;
      return;
    }
    stats.answered++;
    sock.send(out, rinfo.port, rinfo.address);
  });
  sock.on('error', () => {
    stats.dropped++;
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(opts.port, opts.host, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  return {
    port: sock.address().port,
    stats,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
