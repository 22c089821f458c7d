import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  nodeIdFromHex,
  nodeIdFromUri,
  nodeIdToHex,
  nodeIdUri,
  overlayHash,
  parseReloadUri,
  randomNodeId,
  resourceId,
  selfSignedNodeIds,
  spkiOf,
} from '@reload/security';
import { expectCode, openssl, requireOpenssl, tmp, write } from './helpers.js';

function opensslDigest(alg: string, data: Uint8Array | string): string {
  const dir = tmp();
  const f = write(dir, 'in.bin', data);
  const out = openssl(['dgst', `-${alg}`, '-r', f], dir);
  return out.split(' ')[0];
}

describe('Resource-ID and overlay hash (§10.2, §6.3.2) against openssl dgst', () => {
  it('resourceId is SHA-1 truncated to 16 bytes (or the overlay length)', () => {
    requireOpenssl();
    for (const name of ['alice@example.org', '', 'sip:bob@overlay.example.org', 'ünïcode']) {
      const sha1 = opensslDigest('sha1', Buffer.from(name, 'utf8'));
      expect(nodeIdToHex(resourceId(name))).toBe(sha1.slice(0, 32));
      expect(nodeIdToHex(resourceId(name, 20))).toBe(sha1);
      expect(nodeIdToHex(resourceId(Buffer.from(name, 'utf8'), 18))).toBe(sha1.slice(0, 36));
    }
  });

  it('a fixed vector: resourceId("abc") = a9993e364706816aba3e25717850c26c', () => {
    // FIPS 180 SHA-1("abc") = a9993e36 4706816a ba3e2571 7850c26c 9cd0d89d
    expect(nodeIdToHex(resourceId('abc'))).toBe('a9993e364706816aba3e25717850c26c');
  });

  it('overlayHash is the low-order 32 bits (last 4 bytes) of SHA-1(overlay name)', () => {
    requireOpenssl();
    const sha1 = opensslDigest('sha1', 'overlay.example.org');
    expect(overlayHash('overlay.example.org')).toBe(parseInt(sha1.slice(32, 40), 16));
    expect(overlayHash('abc')).toBe(0x9cd0d89d);
  });

  it('rejects identifier lengths outside 1..20', () => {
    expectCode(() => resourceId('x', 21), 'BAD_NODE_ID');
    expectCode(() => randomNodeId(0), 'BAD_NODE_ID');
  });
});

describe('Node-IDs', () => {
  it('randomNodeId gives distinct ids of the requested length', () => {
    const a = randomNodeId();
    const b = randomNodeId(20);
    expect(a.length).toBe(16);
    expect(b.length).toBe(20);
    expect(nodeIdToHex(a)).not.toBe(nodeIdToHex(randomNodeId()));
  });

  it('hex round trip, length check, bad hex', () => {
    const id = randomNodeId();
    expect(nodeIdFromHex(` ${nodeIdToHex(id).toUpperCase()} `, 16)).toEqual(id);
    expectCode(() => nodeIdFromHex('abc'), 'BAD_NODE_ID');
    expectCode(() => nodeIdFromHex('zz'), 'BAD_NODE_ID');
    expectCode(() => nodeIdFromHex('00ff', 16), 'BAD_NODE_ID', /2 bytes, expected 16/);
  });

  it('self-signed Node-IDs (§11.3.1) match openssl digests of the SPKI', () => {
    requireOpenssl();
    const { publicKey } = generateKeyPair('ecdsa-p256');
    const spki = spkiOf(publicKey);
    const [one] = selfSignedNodeIds(spki);
    expect(nodeIdToHex(one)).toBe(opensslDigest('sha1', spki).slice(0, 32));
    const [s256] = selfSignedNodeIds(spki, 1, 20, 'sha256');
    expect(nodeIdToHex(s256)).toBe(opensslDigest('sha256', spki).slice(0, 40));
    const many = selfSignedNodeIds(spki, 3);
    for (let i = 1; i <= 3; i++) {
      const prefixed = Buffer.concat([Buffer.from([0, 0, 0, i]), spki]);
      expect(nodeIdToHex(many[i - 1])).toBe(opensslDigest('sha1', prefixed).slice(0, 32));
    }
    // the digest is of the SPKI DER, computed here independently of the package too
    expect(nodeIdToHex(one)).toBe(createHash('sha1').update(spki).digest('hex').slice(0, 32));
  });
});

describe('reload: URIs (§14.15, §11.3)', () => {
  it('a Node-ID URI holds a hex Destination List with one node entry', () => {
    const id = nodeIdFromHex('00112233445566778899aabbccddeeff');
    const uri = nodeIdUri(id, 'overlay.example.org');
    expect(uri).toBe('reload://011000112233445566778899aabbccddeeff@overlay.example.org/');
    expect(nodeIdFromUri(uri)).toEqual({ nodeId: id, overlay: 'overlay.example.org' });
  });

  it('parses lists, compressed ids and specifiers; rejects malformed ones', () => {
    const u = parseReloadUri('reload://0102aabb8001@o.example/0a0b');
    expect(u.destinations).toEqual([
      { type: 1, data: new Uint8Array([0xaa, 0xbb]) },
      { type: 3, data: new Uint8Array([0x80, 0x01]) },
    ]);
    expect(u.specifier).toEqual(new Uint8Array([10, 11]));
    for (const bad of [
      'http://0110aa@o/',
      'reload://@o/',
      'reload://011@o/',
      'reload://0105aabb@o/',
      'reload://0002aabb@o/',
      'reload://0102aabb@/',
      'reload://0102aabb@o',
    ]) {
      expectCode(() => parseReloadUri(bad), 'BAD_RELOAD_URI');
    }
    expectCode(() => nodeIdFromUri('reload://0202aabb@o/'), 'BAD_RELOAD_URI', /single node_id/);
    expectCode(() => nodeIdFromUri('reload://0101aa0101bb@o/'), 'BAD_RELOAD_URI');
  });
});
