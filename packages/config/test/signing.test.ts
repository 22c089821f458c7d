import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareSequence,
  type Configuration,
  NS_CONFIG_BASE,
  parseConfigurationDocument,
  signConfiguration,
  signKinds,
  validateWithXmllint,
  verifyConfiguration,
  verifyKindBlock,
} from '../src/index.js';
import { randomNodeIdHex, type TestCert, TestPki } from './helpers.js';

const OVERLAY = 'overlay.test';
const example = readFileSync(new URL('./fixtures/rfc6940-example.xml', import.meta.url));

let pki: TestPki;
let other: TestPki;
let a: TestCert; // configuration + kind signer (EC)
let b: TestCert; // second signer (RSA)
let c: TestCert; // same CA, never listed
let foreign: TestCert; // other CA
const ids = { a: randomNodeIdHex(), b: randomNodeIdHex(), c: randomNodeIdHex() };

beforeAll(() => {
  pki = new TestPki();
  other = new TestPki('/CN=Other CA');
  a = pki.node(ids.a, OVERLAY);
  b = pki.node(ids.b, OVERLAY, 'rsa');
  c = pki.node(ids.c, OVERLAY);
  foreign = other.node(ids.a, OVERLAY);
});
afterAll(() => {
  pki.dispose();
  other.dispose();
});

function b64(der: Uint8Array): string {
  return Buffer.from(der).toString('base64');
}

/** A naked (unsigned) configuration document. */
function naked(
  opts: {
    sequence?: number;
    signers?: string[];
    kindSigners?: string[];
    extra?: string;
    expiration?: string;
  } = {},
): string {
  const exp = opts.expiration === undefined ? '' : ` expiration="${opts.expiration}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<overlay xmlns="${NS_CONFIG_BASE}"
    xmlns:chord="urn:ietf:params:xml:ns:p2p:config-chord">
  <configuration instance-name="${OVERLAY}" sequence="${opts.sequence ?? 1}"${exp}>
    <!-- a comment inside the signed range -->
    <root-cert>${b64(pki.ca.certificate)}</root-cert>
    <enrollment-server>https://${OVERLAY}/enroll</enrollment-server>
    <max-message-size>5000</max-message-size>
    <chord:chord-ping-interval>300</chord:chord-ping-interval>
${(opts.signers ?? [ids.a]).map((s) => `    <configuration-signer>${s}</configuration-signer>\n`).join('')}${(opts.kindSigners ?? [ids.a]).map((s) => `    <kind-signer>${s}</kind-signer>\n`).join('')}${opts.extra ?? ''}    <required-kinds>
      <kind-block>
        <kind name="SIP-REGISTRATION">
          <data-model>DICTIONARY</data-model>
          <access-control>USER-NODE-MATCH</access-control>
          <max-count>1</max-count>
          <max-size>1000</max-size>
        </kind>
      </kind-block>
    </required-kinds>
  </configuration>
</overlay>
`;
}

function code(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return (e as { code: unknown }).code;
  }
  return 'no error';
}

function config(xml: string): Configuration {
  return parseConfigurationDocument(xml).configurations[0];
}

describe('signConfiguration / verifyConfiguration', () => {
  it('signs kinds and the configuration; the signed document verifies and validates', async () => {
    const signed = signConfiguration(naked(), a, { kindSigner: a });
    const v = verifyConfiguration(signed, { rootCerts: [pki.ca.certificate] });
    expect(v.signer.nodeId).toBe(ids.a);
    expect(v.configuration.instanceName).toBe(OVERLAY);
    expect(v.kinds).toHaveLength(1);
    expect(v.rejectedKinds).toEqual([]);
    expect(verifyConfiguration(signed, { trustedSigners: [ids.a] }).signer.nodeId).toBe(ids.a);
    const r = await validateWithXmllint(signed);
    expect(r.output).toMatch(/validates/);
  });

  it('changes nothing but the inserted signature elements (byte-exact round trip)', () => {
    const text = naked();
    const kindsSigned = signKinds(text, a);
    const signed = signConfiguration(kindsSigned, a);
    // Removing the new elements gives the input back, byte for byte.
    expect(signed.replace(/\n {2}<signature>[\s\S]*?<\/signature>/, '')).toBe(kindsSigned);
    expect(kindsSigned.replace(/\n +<kind-signature>[\s\S]*?<\/kind-signature>/, '')).toBe(text);
    // The bytes the parser hands to the verifier are exactly the document's.
    const bytes = Buffer.from(signed, 'utf8');
    const conf = config(signed);
    expect(
      Buffer.from(bytes.subarray(conf.source?.start, conf.source?.end)).equals(
        Buffer.from(conf.source?.bytes ?? []),
      ),
    ).toBe(true);
    // Parse and verify from bytes as well as text; re-signing replaces, never duplicates.
    expect(verifyConfiguration(new Uint8Array(bytes)).signer.nodeId).toBe(ids.a);
    const resigned = signConfiguration(signed, a);
    expect(config(resigned).signatures).toHaveLength(1);
    expect(resigned.replace(/<signature>[\s\S]*?<\/signature>/, '')).toBe(
      signed.replace(/<signature>[\s\S]*?<\/signature>/, ''),
    );
  });

  it('any single changed byte in the signed range, whitespace included, breaks the signature', () => {
    const signed = signConfiguration(naked(), a, { kindSigner: a });
    const conf = config(signed);
    const start = conf.source?.start ?? 0;
    const end = conf.source?.end ?? 0;
    const bytes = Buffer.from(signed, 'utf8');
    let whitespace = 0;
    for (let i = start; i < end; i++) {
      const ch = bytes[i];
      if (ch !== 0x20 && ch !== 0x0a) continue;
      whitespace++;
      const changed = Buffer.from(bytes);
      changed[i] = ch === 0x20 ? 0x09 : 0x20; // space→tab, newline→space
      expect(code(() => verifyConfiguration(new Uint8Array(changed)))).toBe(
        'CONFIG_SIGNATURE_INVALID',
      );
    }
    expect(whitespace).toBeGreaterThan(100);
    const digit = signed.replace('<max-message-size>5000<', '<max-message-size>5001<');
    expect(code(() => verifyConfiguration(digit))).toBe('CONFIG_SIGNATURE_INVALID');
    const comment = signed.replace('a comment inside', 'a comment Inside');
    expect(code(() => verifyConfiguration(comment))).toBe('CONFIG_SIGNATURE_INVALID');
    // Outside the signed range, changes do not matter.
    expect(
      verifyConfiguration(signed.replace('<overlay xmlns', '<overlay  xmlns')).signer.nodeId,
    ).toBe(ids.a);
  });

  it('works with an RSA signer and a cert_hash_node_id identity', () => {
    const signed = signConfiguration(naked({ signers: [ids.b] }), b, {
      nodeId: ids.b,
      kindSigner: a,
    });
    const v = verifyConfiguration(signed, { trustedSigners: [ids.b] });
    expect(v.signer.nodeId).toBe(ids.b);
    expect(v.signer.signingNodeId).toBe(ids.b);
  });

  it('requires a configuration-signer of the PREVIOUS configuration', () => {
    const v1 = verifyConfiguration(
      signConfiguration(naked({ sequence: 1, signers: [ids.a] }), a, { kindSigner: a }),
    );
    // v2 hands signing over to b; it is signed by a (listed in v1).
    const s2 = signConfiguration(naked({ sequence: 2, signers: [ids.b] }), a, { kindSigner: a });
    const v2 = verifyConfiguration(s2, { previous: v1.configuration });
    // v3 signed by b: fine after v2, refused after v1 (b was not a signer in v1).
    const s3 = signConfiguration(naked({ sequence: 3, signers: [ids.b] }), b, { kindSigner: a });
    expect(verifyConfiguration(s3, { previous: v2.configuration }).signer.nodeId).toBe(ids.b);
    expect(code(() => verifyConfiguration(s3, { previous: v1.configuration }))).toBe(
      'CONFIG_SIGNER_NOT_AUTHORIZED',
    );
    // A signer of the same CA that nobody listed, even if the new document lists it.
    const s4 = signConfiguration(naked({ sequence: 4, signers: [ids.c] }), c, { kindSigner: a });
    expect(code(() => verifyConfiguration(s4, { previous: v2.configuration }))).toBe(
      'CONFIG_SIGNER_NOT_AUTHORIZED',
    );
    expect(() => verifyConfiguration(s4, { previous: v2.configuration })).toThrow(
      /line 4: <configuration instance-name="overlay\.test">: signer [0-9a-f]+ is not a configuration-signer of the previous configuration/,
    );
    // First contact with an out-of-band signer list.
    expect(code(() => verifyConfiguration(s4, { trustedSigners: [ids.a] }))).toBe(
      'CONFIG_SIGNER_NOT_AUTHORIZED',
    );
  });

  it('refuses a signer whose certificate does not chain to the root-certs, has expired, or is a bad-node', () => {
    const s = signConfiguration(naked(), foreign, { kindSigner: a });
    expect(() => verifyConfiguration(s)).toThrow(/CERT_UNTRUSTED/);
    expect(code(() => verifyConfiguration(s))).toBe('CONFIG_SIGNER_NOT_AUTHORIZED');
    const ok = signConfiguration(naked(), a, { kindSigner: a });
    expect(() => verifyConfiguration(ok, { now: new Date('2099-01-01T00:00:00Z') })).toThrow(
      /CERT_EXPIRED/,
    );
    const badNode = signConfiguration(naked({ extra: `    <bad-node>${ids.a}</bad-node>\n` }), a, {
      kindSigner: a,
    });
    expect(code(() => verifyConfiguration(badNode))).toBe('CONFIG_SIGNER_NOT_AUTHORIZED');
  });

  it('enforces sequence numbers (RFC 6940 §6.3.2.1) and expiration', () => {
    const v5 = verifyConfiguration(signConfiguration(naked({ sequence: 5 }), a, { kindSigner: a }));
    const same = signConfiguration(
      naked({ sequence: 5, extra: '    <no-ice>true</no-ice>\n' }),
      a,
      { kindSigner: a },
    );
    expect(code(() => verifyConfiguration(same, { previous: v5.configuration }))).toBe(
      'CONFIG_SEQUENCE',
    );
    const older = signConfiguration(naked({ sequence: 4 }), a, { kindSigner: a });
    expect(code(() => verifyConfiguration(older, { previous: v5.configuration }))).toBe(
      'CONFIG_SEQUENCE',
    );
    // Fetching the very same configuration again is fine.
    expect(
      verifyConfiguration(v5.document.source ?? new Uint8Array(), { previous: v5.configuration })
        .configuration.sequence,
    ).toBe(5);
    // Wrap-around: 65534 → 0.
    const last = verifyConfiguration(
      signConfiguration(naked({ sequence: 65534 }), a, { kindSigner: a }),
    );
    const wrapped = signConfiguration(naked({ sequence: 0 }), a, { kindSigner: a });
    expect(
      verifyConfiguration(wrapped, { previous: last.configuration }).configuration.sequence,
    ).toBe(0);
    const expired = signConfiguration(naked({ expiration: '2020-01-01T00:00:00Z' }), a, {
      kindSigner: a,
    });
    expect(code(() => verifyConfiguration(expired))).toBe('CONFIG_EXPIRED');
    expect(verifyConfiguration(expired, { checkExpiration: false }).signer.nodeId).toBe(ids.a);
  });

  it('compareSequence works modulo 65535', () => {
    expect(compareSequence(2, 1)).toBe(1);
    expect(compareSequence(1, 2)).toBe(-1);
    expect(compareSequence(7, 7)).toBe(0);
    expect(compareSequence(0, 65534)).toBe(1);
    expect(compareSequence(65534, 0)).toBe(-1);
    expect(compareSequence(100, 40000)).toBe(1);
  });

  it('refuses unsigned documents and garbage signatures without crashing', () => {
    expect(() => verifyConfiguration(naked())).toThrow(/not signed/);
    const garbage = naked().replace(
      '</configuration>',
      '</configuration>\n  <signature>AAAA</signature>',
    );
    expect(code(() => verifyConfiguration(garbage))).toBe('CONFIG_SIGNATURE_INVALID');
  });
});

describe('signing models and multi-configuration documents', () => {
  it('signs a model (serialized first)', () => {
    const model = parseConfigurationDocument(naked());
    const signed = signConfiguration(model, a, { kindSigner: a });
    const v = verifyConfiguration(signed);
    expect(v.configuration.configurationSigners).toEqual([ids.a]);
    expect(v.kinds).toHaveLength(1);
  });

  it('signs only the named configuration and replaces all of its old signatures', () => {
    const two = `<?xml version="1.0" encoding="UTF-8"?>
<overlay xmlns="${NS_CONFIG_BASE}">
  <configuration instance-name="one.test">
    <configuration-signer>${ids.a}</configuration-signer>
  </configuration>
  <signature>AAAA</signature>
  <signature>AAAA</signature>
  <configuration instance-name="two.test">
  </configuration>
  <signature>AAAA</signature>
</overlay>
`;
    const signed = signConfiguration(two, a, { instanceName: 'one.test' });
    const d = parseConfigurationDocument(signed);
    expect(d.configurations.map((x) => x.signatures.length)).toEqual([1, 1]);
    expect(verifyConfiguration(signed, { instanceName: 'one.test' }).signer.nodeId).toBe(ids.a);
    expect(code(() => verifyConfiguration(signed, { instanceName: 'two.test' }))).toBe(
      'CONFIG_SIGNATURE_INVALID',
    );
    expect(signed).toContain(
      '<configuration instance-name="two.test">\n  </configuration>\n  <signature>AAAA</signature>',
    );
    expect(code(() => signConfiguration(two, a, { instanceName: 'three.test' }))).toBe(
      'CONFIG_NOT_FOUND',
    );
  });
});

describe('the RFC 6940 example: placeholder signatures are reported, not crashed on', () => {
  it('reports CONFIG_SIGNATURE_INVALID for both configurations', () => {
    for (const instanceName of ['overlay.example.org', 'other.example.net']) {
      expect(code(() => verifyConfiguration(example, { instanceName }))).toBe(
        'CONFIG_SIGNATURE_INVALID',
      );
    }
    expect(() => verifyConfiguration(example, { instanceName: 'overlay.example.org' })).toThrow(
      /line 5: .*not a RELOAD SecurityBlock/,
    );
    expect(code(() => verifyConfiguration(example))).toBe('CONFIG_NOT_FOUND');
    expect(code(() => verifyConfiguration(example, { instanceName: 'nope' }))).toBe(
      'CONFIG_NOT_FOUND',
    );
  });

  it('reports KIND_SIGNATURE_INVALID for its kind-signatures', () => {
    const conf = parseConfigurationDocument(example).configurations[0];
    for (const block of conf.requiredKinds)
      expect(code(() => verifyKindBlock(block, conf))).toBe('KIND_SIGNATURE_INVALID');
  });
});

describe('kind signatures (RFC 6940 §11.1)', () => {
  it('refuses kinds not signed by a kind-signer of the current configuration', () => {
    const byC = signConfiguration(naked(), a, { kindSigner: c });
    expect(code(() => verifyConfiguration(byC))).toBe('KIND_SIGNER_NOT_AUTHORIZED');
    const dropped = verifyConfiguration(byC, { invalidKinds: 'drop' });
    expect(dropped.kinds).toEqual([]);
    expect(dropped.rejectedKinds).toHaveLength(1);
    expect(dropped.rejectedKinds[0]?.error.message).toMatch(
      /<kind> SIP-REGISTRATION: signer [0-9a-f]+ is not a kind-signer/,
    );
    // c becomes a kind-signer: now accepted.
    const listed = signConfiguration(naked({ kindSigners: [ids.a, ids.c] }), a, { kindSigner: c });
    expect(verifyConfiguration(listed).kinds).toHaveLength(1);
  });

  it('refuses a missing or broken kind-signature', () => {
    const noKindSig = signConfiguration(naked(), a);
    expect(() => verifyConfiguration(noKindSig)).toThrow(/no <kind-signature>/);
    // Change the kind after signing it, then sign the configuration again: only the kind breaks.
    const kinds = signKinds(naked(), a).replace(
      '<max-size>1000</max-size>',
      '<max-size>1001</max-size>',
    );
    const s = signConfiguration(kinds, a);
    expect(code(() => verifyConfiguration(s))).toBe('KIND_SIGNATURE_INVALID');
  });
});
