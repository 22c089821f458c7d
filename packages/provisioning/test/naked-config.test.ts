import { describe, expect, it } from 'vitest';
import {
  ConfigurationRuleError,
  applyServerFields,
  checkNakedConfigurationUpdate,
  defaultNakedConfiguration,
  isValidOverlayName,
  isValidUserName,
  nextSequence,
  parseNakedConfiguration,
} from '../src/index.js';

const current = defaultNakedConfiguration({
  overlay: 'overlay.example.org',
  sequence: 7,
  expiration: new Date('2030-01-02T03:04:05Z'),
  rootCert: new Uint8Array([1, 2, 3, 4, 5, 6]),
  enrollmentServer: 'https://overlay.example.org:8443/enrollment',
  configurationSigner: '00112233445566778899aabbccddeeff',
});

/** The current document with sequence 8 and one harmless change (initial-ttl). */
function valid(): string {
  return current
    .replace('sequence="7"', 'sequence="8"')
    .replace('<initial-ttl>100', '<initial-ttl>50');
}

function insertInConfiguration(xml: string, element: string): string {
  return xml.replace('</configuration>', `  ${element}\n  </configuration>`);
}

function rejection(proposed: string): ConfigurationRuleError {
  try {
    checkNakedConfigurationUpdate(current, proposed);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigurationRuleError);
    return e as ConfigurationRuleError;
  }
  throw new Error('upload was accepted');
}

describe('default naked configuration', () => {
  it('has the minimum parameters and parses', () => {
    const p = parseNakedConfiguration(current);
    expect(p.instanceName).toBe('overlay.example.org');
    expect(p.sequence).toBe(7);
    expect(p.expiration).toBe('2030-01-02T03:04:05Z');
    for (const e of [
      '<topology-plugin>CHORD-RELOAD</topology-plugin>',
      '<root-cert>AQIDBAUG</root-cert>',
      '<enrollment-server>https://overlay.example.org:8443/enrollment</enrollment-server>',
      '<configuration-signer>00112233445566778899aabbccddeeff</configuration-signer>',
      '<overlay-link-protocol>TLS</overlay-link-protocol>',
      '<kind name="CERTIFICATE_BY_NODE">',
      '<kind name="CERTIFICATE_BY_USER">',
    ]) {
      expect(current).toContain(e);
    }
  });
});

describe('upload rules (issue 4 item 5)', () => {
  it('accepts a valid change with sequence + 1', () => {
    expect(checkNakedConfigurationUpdate(current, valid()).sequence).toBe(8);
  });

  it('wraps the sequence modulo 65535', () => {
    expect(nextSequence(65534)).toBe(0);
    const at = current.replace('sequence="7"', 'sequence="65534"');
    const next = at.replace('sequence="65534"', 'sequence="0"');
    expect(checkNakedConfigurationUpdate(at, next).sequence).toBe(0);
  });

  const cases: [string, () => string, string, string, number][] = [
    [
      'not well-formed XML',
      () => valid().replace('</overlay>', '</overlay'),
      'xml',
      'document',
      400,
    ],
    [
      'wrong namespace',
      () => valid().replace('urn:ietf:params:xml:ns:p2p:config-base', 'urn:example:wrong'),
      'grammar',
      'overlay',
      400,
    ],
    [
      'unknown base element',
      () => insertInConfiguration(valid(), '<no-such-thing>1</no-such-thing>'),
      'grammar',
      'no-such-thing',
      400,
    ],
    [
      'bad number',
      () => valid().replace('<max-message-size>5000', '<max-message-size>lots'),
      'grammar',
      'max-message-size',
      400,
    ],
    [
      'sequence not increased',
      () => valid().replace('sequence="8"', 'sequence="7"'),
      'sequence',
      'configuration@sequence',
      409,
    ],
    [
      'sequence increased by two',
      () => valid().replace('sequence="8"', 'sequence="9"'),
      'sequence',
      'configuration@sequence',
      409,
    ],
    [
      'instance-name changed',
      () =>
        valid().replace('instance-name="overlay.example.org"', 'instance-name="other.example.org"'),
      'unchanged',
      'configuration@instance-name',
      422,
    ],
    [
      'expiration changed',
      () => valid().replace('2030-01-02T03:04:05Z', '2031-01-02T03:04:05Z'),
      'unchanged',
      'configuration@expiration',
      422,
    ],
    [
      'root-cert changed',
      () => valid().replace('<root-cert>AQIDBAUG', '<root-cert>AQIDBAUH'),
      'unchanged',
      'root-cert',
      422,
    ],
    [
      'root-cert added',
      () => insertInConfiguration(valid(), '<root-cert>AQIDBAUH</root-cert>'),
      'unchanged',
      'root-cert',
      422,
    ],
    [
      'enrollment-server changed',
      () =>
        valid().replace(
          'https://overlay.example.org:8443/enrollment',
          'https://evil.example.org/enrollment',
        ),
      'unchanged',
      'enrollment-server',
      422,
    ],
    [
      'configuration-signer changed',
      () => valid().replace('00112233445566778899aabbccddeeff', 'ffeeddccbbaa99887766554433221100'),
      'unchanged',
      'configuration-signer',
      422,
    ],
    [
      'node-id-length added',
      () => insertInConfiguration(valid(), '<node-id-length>20</node-id-length>'),
      'forbidden-element',
      'node-id-length',
      422,
    ],
    [
      'shared-secret added',
      () => insertInConfiguration(valid(), '<shared-secret>pw</shared-secret>'),
      'forbidden-element',
      'shared-secret',
      422,
    ],
    [
      'kind-signer added',
      () =>
        insertInConfiguration(
          valid(),
          '<kind-signer>00112233445566778899aabbccddeeff</kind-signer>',
        ),
      'forbidden-element',
      'kind-signer',
      422,
    ],
    [
      'kind-signature added',
      () =>
        valid().replace(
          '</kind>\n      </kind-block>',
          '</kind>\n        <kind-signature>AAAA</kind-signature>\n      </kind-block>',
        ),
      'forbidden-element',
      'kind-signature',
      422,
    ],
    [
      'signature added',
      () => valid().replace('</configuration>', '</configuration>\n  <signature>AAAA</signature>'),
      'forbidden-element',
      'signature',
      422,
    ],
    [
      'self-signed-permitted true',
      () =>
        insertInConfiguration(
          valid(),
          '<self-signed-permitted digest="sha256">true</self-signed-permitted>',
        ),
      'self-signed',
      'self-signed-permitted',
      422,
    ],
    [
      'second configuration element',
      () =>
        valid().replace(
          '</overlay>',
          '  <configuration instance-name="other.example.org" sequence="1"></configuration>\n</overlay>',
        ),
      'single-configuration',
      'configuration',
      422,
    ],
  ];

  for (const [what, make, rule, element, status] of cases) {
    it(`refuses: ${what}`, () => {
      const e = rejection(make());
      expect(e.rule).toBe(rule);
      expect(e.element).toBe(element);
      expect(e.statusCode).toBe(status);
      expect(e.message).toContain(`rule ${rule}`);
      expect(e.message).toContain(`<${element}>`);
    });
  }

  it('allows self-signed-permitted false', () => {
    const ok = insertInConfiguration(
      valid(),
      '<self-signed-permitted digest="sha256">false</self-signed-permitted>',
    );
    expect(() => checkNakedConfigurationUpdate(current, ok)).not.toThrow();
  });

  it('allows foreign-namespace extension elements', () => {
    const ok = valid()
      .replace('<overlay ', '<overlay xmlns:ext="urn:example:ext" ')
      .replace('</configuration>', '  <ext:thing>1</ext:thing>\n  </configuration>');
    expect(() => checkNakedConfigurationUpdate(current, ok)).not.toThrow();
  });
});

describe('server-managed fields', () => {
  it('sets sequence, expiration and the enrollment-server URL', () => {
    const out = applyServerFields(current, {
      sequence: 8,
      expiration: new Date('2031-05-06T07:08:09.123Z'),
      enrollmentServer: {
        from: 'https://overlay.example.org:8443/enrollment',
        to: 'https://overlay.example.org:9443/enrollment',
      },
    });
    const p = parseNakedConfiguration(out);
    expect(p.sequence).toBe(8);
    expect(p.expiration).toBe('2031-05-06T07:08:09Z');
    expect(out).toContain(
      '<enrollment-server>https://overlay.example.org:9443/enrollment</enrollment-server>',
    );
    expect(out.startsWith('<?xml')).toBe(true);
  });
});

describe('names', () => {
  it('accepts DNS names and refuses others', () => {
    for (const ok of ['my-overlay.example.org', 'a.b', 'x1.example.com'])
      expect(isValidOverlayName(ok)).toBe(true);
    for (const bad of [
      '',
      'localhost',
      'bad_name.example',
      '-a.example',
      'a..b',
      'a.example.',
      'a.123',
      'é.example',
      `${'a'.repeat(64)}.example`,
    ]) {
      expect(isValidOverlayName(bad)).toBe(false);
    }
  });
  it('accepts plain and email-like user names only', () => {
    for (const ok of ['alice', 'bob.smith', 'carol+1', 'dave@example.org'])
      expect(isValidUserName(ok)).toBe(true);
    for (const bad of ['', '.alice', 'al ice', 'a\u0000b', 'x@', 'x@nodots', 'a/b'])
      expect(isValidUserName(bad)).toBe(false);
  });
});
