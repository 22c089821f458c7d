import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type Configuration,
  type ConfigurationDocument,
  NS_CONFIG_BASE,
  parseConfigurationDocument,
  serializeConfiguration,
} from '../src/index.js';
import { stripSources } from './helpers.js';

const EXAMPLE_PATH = new URL('./fixtures/rfc6940-example.xml', import.meta.url);
const example = readFileSync(EXAMPLE_PATH);

function errorOf(xml: string): { code: unknown; message: string } {
  try {
    parseConfigurationDocument(xml);
  } catch (e) {
    return { code: (e as { code: unknown }).code, message: (e as Error).message };
  }
  throw new Error('expected the document to be refused');
}

const head = `<?xml version="1.0" encoding="UTF-8"?>\n<overlay xmlns="${NS_CONFIG_BASE}">\n`;
function doc(body: string, attrs = 'instance-name="o.test"'): string {
  return `${head}<configuration ${attrs}>\n${body}\n</configuration>\n</overlay>\n`;
}

describe('parseConfigurationDocument: the RFC 6940 §11.1 example', () => {
  const d = parseConfigurationDocument(example);
  const [c, other] = d.configurations as [Configuration, Configuration];

  it('reads both configurations and their signatures', () => {
    expect(d.configurations).toHaveLength(2);
    expect(c.signatures).toHaveLength(1);
    expect(Buffer.from(c.signatures[0]?.value ?? []).toString()).toBe('This is not right!\n');
    expect(other.instanceName).toBe('other.example.net');
    expect(other.signatures).toHaveLength(1);
  });

  it('reads every parameter of the first configuration', () => {
    expect(c.instanceName).toBe('overlay.example.org');
    expect(c.sequence).toBe(22);
    expect(c.expiration?.toISOString()).toBe('2002-10-10T07:00:00.000Z');
    expect(c.foreignAttributes).toEqual([
      {
        namespaceURI: 'urn:ietf:params:xml:ns:p2p:config-ext1',
        prefix: 'ext',
        localName: 'ext-example',
        value: 'stuff',
      },
    ]);
    expect(c.topologyPlugin).toBe('CHORD-RELOAD');
    expect(c.nodeIdLength).toBe(16);
    expect(c.rootCerts).toHaveLength(2);
    expect(c.rootCerts[0]?.length).toBe(808);
    expect(c.rootCerts[0]?.[0]).toBe(0x30); // a DER SEQUENCE
    expect(Buffer.from(c.rootCerts[1] ?? []).toString()).toBe('bad cert\n');
    expect(c.enrollmentServers).toEqual(['https://example.org', 'https://example.net']);
    expect(c.selfSignedPermitted).toEqual({ permitted: false, digest: 'sha1' });
    expect(c.bootstrapNodes).toEqual([
      { address: '192.0.0.1', port: 6084 },
      { address: '192.0.2.2', port: 6084 },
      { address: '2001:DB8::1', port: 6084 },
    ]);
    expect(c.turnDensity).toBe(20);
    expect(c.clientsPermitted).toBe(false);
    expect(c.noIce).toBe(false);
    expect(c.chord).toEqual({ updateInterval: 400, pingInterval: 30, reactive: true });
    expect(c.sharedSecret).toBe('password');
    expect(c.maxMessageSize).toBe(4000);
    expect(c.initialTtl).toBe(30);
    expect(c.overlayReliabilityTimer).toBe(3000);
    expect(c.overlayLinkProtocols).toEqual(['TLS']);
    expect(c.configurationSigners).toEqual(['47112162e84c69ba']);
    expect(c.kindSigners).toEqual(['47112162e84c69ba', '6eba45d31a900c06']);
    expect(c.badNodes).toEqual(['6ebc45d31a900c06', '6ebc45d31a900ca6']);
    expect(c.mandatoryExtensions).toEqual(['urn:ietf:params:xml:ns:p2p:config-ext1']);
    expect(c.extensions.map((e) => [e.namespaceURI, e.localName, e.xml])).toEqual([
      [
        'urn:ietf:params:xml:ns:p2p:config-ext1',
        'example-extension',
        '<ext:example-extension> foo </ext:example-extension>',
      ],
    ]);
    expect(c.extensions[0]?.namespaces).toEqual({ ext: 'urn:ietf:params:xml:ns:p2p:config-ext1' });
  });

  it('reads the required kinds', () => {
    const [k1, k2] = c.requiredKinds;
    expect(stripSources(k1?.kind)).toEqual({
      name: 'SIP-REGISTRATION',
      dataModel: 'SINGLE',
      accessControl: 'USER-MATCH',
      maxCount: 1,
      maxSize: 100,
      extensions: [],
    });
    expect(k2?.kind.id).toBe(2000);
    expect(k2?.kind.dataModel).toBe('ARRAY');
    expect(k2?.kind.accessControl).toBe('NODE-MULTIPLE');
    expect(k2?.kind.maxNodeMultiple).toBe(3);
    expect(k2?.kind.maxCount).toBe(22);
    expect(k2?.kind.maxSize).toBe(4);
    expect(k2?.kind.extensions[0]?.xml).toBe(
      '<ext:example-kind-extension> 1\n                       </ext:example-kind-extension>',
    );
    expect(Buffer.from(k1?.signature?.value ?? []).toString()).toBe('This is not right!\n');
  });

  it('applies the defaults to the empty second configuration', () => {
    expect(stripSources(other)).toEqual(
      stripSources({
        instanceName: 'other.example.net',
        sequence: 0,
        foreignAttributes: [],
        topologyPlugin: 'CHORD-RELOAD',
        nodeIdLength: 16,
        rootCerts: [],
        enrollmentServers: [],
        bootstrapNodes: [],
        turnDensity: 1,
        clientsPermitted: true,
        noIce: false,
        maxMessageSize: 5000,
        initialTtl: 100,
        overlayReliabilityTimer: 3000,
        overlayLinkProtocols: ['TLS'],
        configurationSigners: [],
        kindSigners: [],
        badNodes: [],
        mandatoryExtensions: [],
        requiredKinds: [],
        chord: { pingInterval: 3600, updateInterval: 600, reactive: true },
        extensions: [],
        signatures: other.signatures,
      }),
    );
  });

  it('keeps the exact bytes of each <configuration> and <kind>, whitespace included', () => {
    const text = example.toString('utf8');
    const start = text.indexOf('<configuration instance-name="overlay.example.org"');
    const end = text.indexOf('</configuration>') + '</configuration>'.length;
    expect(Buffer.from(c.source?.bytes ?? []).toString()).toBe(text.slice(start, end));
    expect(c.source?.start).toBe(start); // ASCII document: byte offset = char offset
    expect(c.source?.line).toBe(5);
    const k = c.requiredKinds[1]?.kind.source;
    expect(Buffer.from(k?.bytes ?? []).toString()).toBe(
      text.slice(
        text.indexOf('<kind id="2000">'),
        text.indexOf('</kind>', text.indexOf('<kind id="2000">')) + 7,
      ),
    );
    expect(Buffer.from(other.source?.bytes ?? []).toString()).toBe(
      '<configuration instance-name="other.example.net">\n   </configuration>',
    );
  });

  it('gives byte (not character) offsets for non-ASCII documents', () => {
    const xml = `${head}<!-- é€ -->\n<configuration instance-name="ü.test">\n<shared-secret>päss</shared-secret>\n</configuration>\n</overlay>`;
    const d2 = parseConfigurationDocument(xml);
    const bytes = Buffer.from(xml, 'utf8');
    const s = d2.configurations[0]?.source;
    expect(s).toBeDefined();
    expect(Buffer.from(bytes.subarray(s?.start, s?.end)).equals(Buffer.from(s?.bytes ?? []))).toBe(
      true,
    );
    expect(Buffer.from(s?.bytes ?? []).toString()).toMatch(
      /^<configuration instance-name="ü.test">[\s\S]*<\/configuration>$/,
    );
    expect(d2.configurations[0]?.sharedSecret).toBe('päss');
  });
});

describe('parseConfigurationDocument: errors name the element and the line', () => {
  it.each([
    ['<initial-ttl>abc</initial-ttl>', /^line 4: <initial-ttl>: 'abc' is not a number$/],
    ['<max-message-size>-1</max-message-size>', /^line 4: <max-message-size>: -1 is out of range/],
    [
      '<node-id-length>12</node-id-length>',
      /^line 4: <node-id-length>: 12 is out of range 16\.\.20$/,
    ],
    ['<turn-density>256</turn-density>', /^line 4: <turn-density>: 256 is out of range 0\.\.255$/],
    [
      '<overlay-reliability-timer>100</overlay-reliability-timer>',
      /^line 4: <overlay-reliability-timer>: 100 is out of range 200\.\./,
    ],
    ['<no-ice>yes</no-ice>', /^line 4: <no-ice>: 'yes' is not a boolean/],
    ['<root-cert>not base64!</root-cert>', /^line 4: <root-cert>: .* is not base64$/],
    [
      '<enrollment-server>http://e.test/</enrollment-server>',
      /^line 4: <enrollment-server>: 'http:\/\/e\.test\/' is not an https: URL$/,
    ],
    [
      '<bootstrap-node address="host.test"/>',
      /^line 4: <bootstrap-node>: attribute address: 'host\.test' is not an IPv4/,
    ],
    [
      '<bootstrap-node address="192.0.2.1" port="70000"/>',
      /^line 4: <bootstrap-node>: attribute port: 70000 is out of range 1\.\.65535$/,
    ],
    [
      '<kind-signer>xyz</kind-signer>',
      /^line 4: <kind-signer>: 'xyz' is not a Node-ID in hexadecimal$/,
    ],
    [
      '<self-signed-permitted>true</self-signed-permitted>',
      /^line 4: <self-signed-permitted>: missing attribute 'digest'$/,
    ],
    [
      '<initial-ttl>1</initial-ttl><initial-ttl>2</initial-ttl>',
      /^line 4: <initial-ttl>: appears more than once$/,
    ],
    [
      '<topology-plugin>A</topology-plugin><topology-plug-in>B</topology-plug-in>',
      /^line 4: <topology-plug-in>: appears more than once$/,
    ],
    [
      '<frobnicate/>',
      /^line 4: <frobnicate>: unknown element in namespace urn:ietf:params:xml:ns:p2p:config-base inside <configuration>$/,
    ],
    ['<x xmlns=""/>', /^line 4: <x>: element without a namespace is not allowed/],
    [
      '<chord:chord-ping-interval xmlns:chord="urn:ietf:params:xml:ns:p2p:config-chord">x</chord:chord-ping-interval>',
      /^line 4: <chord:chord-ping-interval>: 'x' is not a number$/,
    ],
    [
      '<required-kinds><kind-block><kind name="K"><max-count>1</max-count><max-size>1</max-size><data-model>ARRAY</data-model></kind></kind-block></required-kinds>',
      /^line 4: <kind>: missing required element <access-control>$/,
    ],
    [
      '<required-kinds><kind-block><kind id="5" name="K"/></kind-block></required-kinds>',
      /^line 4: <kind>: needs exactly one of the attributes id and name$/,
    ],
    [
      '<required-kinds><kind-block><kind id="5"><max-count>1</max-count><max-size>x</max-size></kind></kind-block></required-kinds>',
      /^line 4: <max-size>: 'x' is not a number$/,
    ],
    [
      '<required-kinds><kind-block><kind id="5"><max-count>1</max-count><max-size>1</max-size><data-model>ARRAY</data-model><access-control>NODE-MULTIPLE</access-control></kind></kind-block></required-kinds>',
      /NODE-MULTIPLE requires <max-node-multiple>/,
    ],
    ['stray text', /^line 3: <configuration>: unexpected text 'stray text'$/],
  ])('%s', (body, re) => {
    const e = errorOf(doc(body));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(re);
  });

  it.each([
    [
      'instance-name="o" sequence="abc"',
      /^line 3: <configuration>: attribute sequence: 'abc' is not a number/,
    ],
    [
      'instance-name="o" sequence="65535"',
      /^line 3: <configuration>: attribute sequence: 65535 is out of range 0\.\.65534/,
    ],
    [
      'instance-name="o" expiration="tomorrow"',
      /attribute expiration: 'tomorrow' is not an RFC 3339 date-time/,
    ],
    ['', /^line 3: <configuration>: missing attribute 'instance-name'$/],
    ['instance-name="o" colour="red"', /^line 3: <configuration>: unknown attribute 'colour'$/],
  ])('configuration attributes %s', (attrs, re) => {
    const e = errorOf(doc('', attrs));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(re);
  });

  it('refuses a wrong or missing namespace', () => {
    expect(
      errorOf('<overlay xmlns="urn:example:wrong"><configuration instance-name="a"/></overlay>')
        .message,
    ).toBe(
      "line 1: <overlay>: namespace 'urn:example:wrong' is not urn:ietf:params:xml:ns:p2p:config-base",
    );
    expect(errorOf('<overlay>\n<configuration instance-name="a"/></overlay>').message).toBe(
      'line 1: <overlay>: namespace (none) is not urn:ietf:params:xml:ns:p2p:config-base',
    );
    expect(
      errorOf(`${head}<configuration xmlns="urn:other" instance-name="a"/></overlay>`).message,
    ).toMatch(/^line 3: <configuration>: unknown element in namespace urn:other inside <overlay>$/);
  });

  it('refuses malformed XML with the line', () => {
    const e = errorOf(
      `${head}<configuration instance-name="a">\n<initial-ttl>1</initial-ttl>\n</configuratio>\n</overlay>`,
    );
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(/^line \d+: malformed XML: .*configuratio/);
    expect(errorOf('not xml at all').message).toMatch(/malformed XML/);
    expect(errorOf('').code).toBe('CONFIG_INVALID');
  });

  it('refuses DOCTYPE declarations, other encodings, invalid UTF-8', () => {
    expect(
      errorOf(
        `<?xml version="1.0"?>\n<!DOCTYPE overlay [<!ENTITY x "y">]>\n<overlay xmlns="${NS_CONFIG_BASE}"><configuration instance-name="a"/></overlay>`,
      ).message,
    ).toBe('line 2: malformed XML: DOCTYPE and markup declarations are not allowed');
    // An unknown element is reported as such, even with attributes.
    expect(errorOf(doc('<frob a="1"/>')).message).toMatch(/^line 4: <frob>: unknown element/);
    expect(
      errorOf(`<?xml version="1.0" encoding="ISO-8859-1"?>\n<overlay xmlns="${NS_CONFIG_BASE}"/>`)
        .message,
    ).toMatch(/MUST use UTF-8/);
    expect(() => parseConfigurationDocument(new Uint8Array([0x3c, 0xff, 0xfe]))).toThrow(
      /not valid UTF-8/,
    );
  });

  it('refuses structural errors at the overlay level', () => {
    expect(errorOf(`${head}</overlay>`).message).toMatch(/needs at least one <configuration>/);
    expect(
      errorOf(`${head}<signature>AAAA</signature><configuration instance-name="a"/></overlay>`)
        .message,
    ).toMatch(/^line 3: <signature>: a <signature> must follow a <configuration>$/);
  });
});

describe('serializeConfiguration', () => {
  it('re-parses to the same model (RFC example)', () => {
    const d = parseConfigurationDocument(example);
    const xml = serializeConfiguration(d);
    expect(stripSources(parseConfigurationDocument(xml))).toEqual(
      stripSources({ ...d, source: undefined }),
    );
    // And is stable.
    expect(serializeConfiguration(parseConfigurationDocument(xml))).toBe(xml);
  });

  it('writes extension elements unchanged and declares their namespaces', () => {
    const xml = `${head}<configuration instance-name="a" xmlns:e="urn:e" e:flag="1">\n<e:thing a="1"><e:inner/>text</e:thing>\n<y:other xmlns:y="urn:y">z</y:other>\n</configuration>\n</overlay>`;
    const d = parseConfigurationDocument(xml);
    const out = serializeConfiguration(d);
    expect(out).toContain('<e:thing a="1"><e:inner/>text</e:thing>');
    expect(out).toContain('<y:other xmlns:y="urn:y">z</y:other>');
    expect(out).toContain('xmlns:e="urn:e"');
    expect(stripSources(parseConfigurationDocument(out))).toEqual(
      stripSources({ ...d, source: undefined }),
    );
  });

  it('resolves prefix clashes without changing meaning', () => {
    const xml = `${head}<configuration instance-name="a"><chord:x xmlns:chord="urn:not-chord"/></configuration><configuration instance-name="b" xmlns:p="urn:p1"><p:q/></configuration><configuration instance-name="c" xmlns:p="urn:p2"><p:q/></configuration></overlay>`;
    const d = parseConfigurationDocument(xml);
    const d2 = parseConfigurationDocument(serializeConfiguration(d));
    expect(d2.configurations.map((c) => c.extensions[0]?.namespaceURI)).toEqual([
      'urn:not-chord',
      'urn:p1',
      'urn:p2',
    ]);
  });

  it('refuses a model that breaks a rule', () => {
    const c = parseConfigurationDocument(doc('')).configurations[0];
    expect(() => serializeConfiguration({ ...c, initialTtl: 0 })).toThrow(
      /<initial-ttl>: 0 is out of range 1\.\.255/,
    );
    expect(() => serializeConfiguration({ ...c, enrollmentServers: ['ftp://x'] })).toThrow(
      /not an https: URL/,
    );
    expect(() => serializeConfiguration([] as Configuration[])).toThrow(/at least one/);
  });

  it('escapes text and attributes', () => {
    const c = parseConfigurationDocument(doc('')).configurations[0];
    const m: ConfigurationDocument = {
      configurations: [{ ...c, instanceName: 'a"&<b>', sharedSecret: '<&>"' }],
    };
    const back = parseConfigurationDocument(serializeConfiguration(m)).configurations[0];
    expect(back?.instanceName).toBe('a"&<b>');
    expect(back?.sharedSecret).toBe('<&>"');
  });
});
