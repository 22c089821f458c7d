import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import { answerQuery, startDnsResponder, type DnsResponder } from '../src/index.js';

const opts = {
  overlays: ['one.example.org', 'two.example.net'],
  httpsPort: 8443,
  addresses: ['127.0.0.1'],
};

function query(name: string, type: dnsPacket.RecordType): dnsPacket.DecodedPacket {
  return dnsPacket.decode(
    dnsPacket.encode({
      type: 'query',
      id: 7,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type, name }],
    }),
  );
}

describe('answerQuery', () => {
  it('answers SRV _reload-config._tcp with the HTTPS port and the overlay as target', () => {
    const a = answerQuery(query('_reload-config._tcp.ONE.example.org', 'SRV'), opts);
    expect(a.flags! & 0xf).toBe(0);
    expect(a.flags! & dnsPacket.AUTHORITATIVE_ANSWER).toBeTruthy();
    expect(a.answers).toEqual([
      {
        type: 'SRV',
        name: '_reload-config._tcp.ONE.example.org',
        ttl: 60,
        class: 'IN',
        data: { priority: 0, weight: 0, port: 8443, target: 'one.example.org' },
      },
    ]);
    expect(a.additionals).toEqual([
      { type: 'A', name: 'one.example.org', ttl: 60, class: 'IN', data: '127.0.0.1' },
    ]);
  });

  it('answers A, gives NODATA for AAAA of an IPv4 listener, NXDOMAIN for other names', () => {
    expect(answerQuery(query('two.example.net', 'A'), opts).answers).toHaveLength(1);
    const aaaa = answerQuery(query('two.example.net', 'AAAA'), opts);
    expect(aaaa.answers).toEqual([]);
    expect(aaaa.flags! & 0xf).toBe(0);
    expect(answerQuery(query('three.example.com', 'A'), opts).flags! & 0xf).toBe(3);
    expect(
      answerQuery(query('_reload-config._tcp.three.example.com', 'SRV'), opts).flags! & 0xf,
    ).toBe(3);
  });
});

describe('DNS responder over UDP', () => {
  let dns: DnsResponder;
  beforeAll(async () => {
    dns = await startDnsResponder({ ...opts, host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await dns.close();
  });

  function ask(payload: Buffer, waitMs = 2000): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const s = createSocket('udp4');
      const t = setTimeout(() => {
        s.close();
        resolve(undefined);
      }, waitMs);
      s.on('message', (m) => {
        clearTimeout(t);
        s.close();
        resolve(m);
      });
      s.send(payload, dns.port, '127.0.0.1');
    });
  }

  it('drops malformed datagrams (counted) and keeps answering', async () => {
    for (const junk of [Buffer.alloc(0), Buffer.from([1, 2, 3]), Buffer.alloc(40, 0xff)]) {
      expect(await ask(junk, 300)).toBeUndefined();
    }
    expect(dns.stats.dropped).toBeGreaterThanOrEqual(2);
    const res = await ask(
      dnsPacket.encode({
        type: 'query',
        id: 99,
        questions: [{ type: 'SRV', name: '_reload-config._tcp.one.example.org' }],
      }),
    );
    const decoded = dnsPacket.decode(res!);
    expect(decoded.id).toBe(99);
    expect(decoded.answers?.[0]).toMatchObject({
      type: 'SRV',
      data: { port: 8443, target: 'one.example.org' },
    });
  });
});
