/**
 * What we accept, xmllint accepts (against schema/reload-config.rng); and documents that
 * xmllint refuses, we refuse too. xmllint is libxml2's independent RELAX NG validator.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Configuration,
  NS_CONFIG_BASE,
  parseConfigurationDocument,
  RELAXNG_SCHEMA_PATH,
  serializeConfiguration,
  validateWithXmllint,
} from '../src/index.js';
import { stripSources } from './helpers.js';

const example = readFileSync(new URL('./fixtures/rfc6940-example.xml', import.meta.url));

beforeAll(() => {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'pipe' });
  } catch {
    throw new Error(
      'xmllint is required by these tests but was not found (Debian package libxml2-utils)',
    );
  }
});

const head = `<?xml version="1.0" encoding="UTF-8"?>\n<overlay xmlns="${NS_CONFIG_BASE}" xmlns:chord="urn:ietf:params:xml:ns:p2p:config-chord">\n`;
const doc = (body: string, attrs = 'instance-name="o.test"') =>
  `${head}<configuration ${attrs}>\n${body}\n</configuration>\n</overlay>\n`;

function accepted(xml: string): boolean {
  try {
    parseConfigurationDocument(xml);
    return true;
  } catch {
    return false;
  }
}

describe('schema/reload-config.rng with xmllint', () => {
  it('is a valid RELAX NG schema and validates the RFC 6940 example', async () => {
    expect(RELAXNG_SCHEMA_PATH).toMatch(/schema\/reload-config\.rng$/);
    const r = await validateWithXmllint(example);
    expect(r.output).toMatch(/validates/);
    expect(r.valid).toBe(true);
  });

  it('validates what serializeConfiguration writes for the RFC example', async () => {
    const xml = serializeConfiguration(parseConfigurationDocument(example));
    const r = await validateWithXmllint(xml);
    expect(r.output).toMatch(/validates/);
    expect(r.valid).toBe(true);
  });

  const acceptedDocs: [string, string][] = [
    ['empty configuration', doc('')],
    ['topology-plug-in spelling', doc('<topology-plug-in>CHORD-RELOAD</topology-plug-in>')],
    ['sha256 digest', doc('<self-signed-permitted digest="sha256">true</self-signed-permitted>')],
    [
      'numbers with whitespace and sign',
      doc(
        '<initial-ttl> +30 </initial-ttl><max-message-size>\n 70000 </max-message-size><turn-density>0</turn-density>',
      ),
    ],
    [
      'booleans as digits',
      doc(
        '<no-ice>1</no-ice><clients-permitted> 0 </clients-permitted><chord:chord-reactive>false</chord:chord-reactive>',
      ),
    ],
    ['multi-line base64 root-cert', doc('<root-cert>\n  AAEC\n  AwQF\n</root-cert>')],
    [
      'bootstrap without port, IPv6',
      doc('<bootstrap-node address="2001:db8::1"/><bootstrap-node address="192.0.2.1" port="1"/>'),
    ],
    [
      'expiration with offset and fraction',
      doc('', 'instance-name="o" sequence="65534" expiration="2030-01-01T10:00:00.5+02:00"'),
    ],
    [
      'foreign attribute and elements',
      doc('<e:x xmlns:e="urn:e" q="1"><e:y/>t</e:x>', 'instance-name="o" xmlns:e="urn:e" e:a="v"'),
    ],
    [
      'kind by id with extension, signature first',
      doc(
        '<required-kinds><kind-block><kind-signature algorithm="rsa-sha1">AAAA</kind-signature><kind id="4026531841"><max-count>0</max-count><max-size>0</max-size><data-model>X-MODEL</data-model><access-control>NODE-MULTIPLE</access-control><max-node-multiple>2</max-node-multiple><e:p xmlns:e="urn:e"/></kind></kind-block></required-kinds>',
      ),
    ],
    ['comments and CDATA', doc('<!-- c --><shared-secret><![CDATA[a<b]]></shared-secret><?pi x?>')],
    [
      'several configurations and signatures',
      `${head}<configuration instance-name="a"/><signature>AAAA</signature><signature algorithm="x">AAAA</signature><configuration instance-name="b"/></overlay>`,
    ],
    [
      'all list elements',
      doc(
        '<enrollment-server>https://e.test/enroll?x=1</enrollment-server><overlay-link-protocol>TLS</overlay-link-protocol><overlay-link-protocol>DTLS</overlay-link-protocol><configuration-signer>00ff</configuration-signer><kind-signer>AB01</kind-signer><bad-node>0102</bad-node><mandatory-extension>urn:x</mandatory-extension>',
      ),
    ],
  ];

  it.each(acceptedDocs)('accepted by both: %s', async (_name, xml) => {
    expect(accepted(xml)).toBe(true);
    const r = await validateWithXmllint(xml);
    expect(r.output).toMatch(/validates/);
    expect(r.valid).toBe(true);
  });

  const refusedDocs: [string, string][] = [
    ['unknown base element', doc('<frob/>')],
    ['unknown chord element', doc('<chord:frob/>')],
    ['no-namespace element', doc('<x xmlns=""/>')],
    ['missing instance-name', doc('', 'sequence="1"')],
    ['bad int', doc('<initial-ttl>abc</initial-ttl>')],
    ['bad boolean', doc('<no-ice>yes</no-ice>')],
    // (libxml2 does not check xsd:base64Binary lexically, so bad base64 is refused by us only.)
    ['duplicate singleton', doc('<no-ice>true</no-ice><no-ice>true</no-ice>')],
    [
      'both topology spellings',
      doc('<topology-plugin>A</topology-plugin><topology-plug-in>A</topology-plug-in>'),
    ],
    [
      'kind without max-count',
      doc(
        '<required-kinds><kind-block><kind id="1"><max-size>1</max-size><data-model>A</data-model><access-control>B</access-control></kind></kind-block></required-kinds>',
      ),
    ],
    [
      'kind with id and name',
      doc(
        '<required-kinds><kind-block><kind id="1" name="x"><max-count>1</max-count><max-size>1</max-size><data-model>A</data-model><access-control>B</access-control></kind></kind-block></required-kinds>',
      ),
    ],
    [
      'self-signed-permitted without digest',
      doc('<self-signed-permitted>true</self-signed-permitted>'),
    ],
    [
      'wrong root namespace',
      `<overlay xmlns="urn:wrong"><configuration instance-name="a"/></overlay>`,
    ],
    [
      'foreign element at overlay level',
      `${head}<configuration instance-name="a"/><e:x xmlns:e="urn:e"/></overlay>`,
    ],
    ['unknown attribute', doc('', 'instance-name="a" colour="red"')],
    ['text in configuration', doc('hello')],
    ['turn-density over a byte', doc('<turn-density>256</turn-density>')],
  ];

  it.each(refusedDocs)('refused by both: %s', async (_name, xml) => {
    expect(accepted(xml)).toBe(false);
    const r = await validateWithXmllint(xml);
    expect(r.valid).toBe(false);
  });
});

const hex = fc
  .uint8Array({ minLength: 16, maxLength: 20 })
  .map((b) => Buffer.from(b).toString('hex'));
const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,15}$/);
const text = fc
  .string({ minLength: 1, maxLength: 20 })
  .filter(
    (s) => s.trim() === s && s.trim() !== '' && !/[\u0000-\u001f\ufffe\uffff\ud800-\udfff]/.test(s),
  );

const kindArb = fc.record({
  byId: fc.boolean(),
  id: fc.nat({ max: 0xffffffff }),
  name: token,
  dataModel: fc.constantFrom('SINGLE', 'ARRAY', 'DICTIONARY'),
  accessControl: fc.constantFrom('USER-MATCH', 'NODE-MATCH', 'USER-NODE-MATCH', 'NODE-MULTIPLE'),
  maxCount: fc.nat({ max: 2147483647 }),
  maxSize: fc.nat({ max: 2147483647 }),
  maxNodeMultiple: fc.integer({ min: 1, max: 2147483647 }),
});

const configArb: fc.Arbitrary<Configuration> = fc
  .record({
    instanceName: token,
    sequence: fc.nat({ max: 65534 }),
    expiration: fc.option(
      fc.date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2200-01-01T00:00:00Z'),
        noInvalidDate: true,
      }),
      { nil: undefined },
    ),
    topologyPlugin: fc.constantFrom('CHORD-RELOAD', 'OTHER-TOPO'),
    nodeIdLength: fc.integer({ min: 16, max: 20 }),
    rootCerts: fc.array(fc.uint8Array({ minLength: 1, maxLength: 100 }), { maxLength: 2 }),
    enrollmentServers: fc.array(
      fc.constantFrom('https://e.test/', 'https://x.example:8443/enroll'),
      { maxLength: 2 },
    ),
    selfSigned: fc.option(
      fc.record({ permitted: fc.boolean(), digest: fc.constantFrom('sha1', 'sha256') }),
      { nil: undefined },
    ),
    bootstrapNodes: fc.array(
      fc.record({
        address: fc.constantFrom('192.0.2.1', '2001:db8::7'),
        port: fc.integer({ min: 1, max: 65535 }),
      }),
      { maxLength: 3 },
    ),
    turnDensity: fc.nat({ max: 255 }),
    clientsPermitted: fc.boolean(),
    noIce: fc.boolean(),
    sharedSecret: fc.option(text, { nil: undefined }),
    maxMessageSize: fc.integer({ min: 1, max: 4294967295 }),
    initialTtl: fc.integer({ min: 1, max: 255 }),
    overlayReliabilityTimer: fc.integer({ min: 200, max: 2147483647 }),
    overlayLinkProtocols: fc.array(token, { minLength: 1, maxLength: 2 }),
    configurationSigners: fc.array(hex, { maxLength: 2 }),
    kindSigners: fc.array(hex, { maxLength: 2 }),
    badNodes: fc.array(hex, { maxLength: 2 }),
    mandatoryExtensions: fc.array(fc.constantFrom('urn:x:1', 'urn:y'), { maxLength: 2 }),
    kinds: fc.array(kindArb, { maxLength: 3 }),
    chord: fc.record({
      pingInterval: fc.integer({ min: 1, max: 2147483647 }),
      updateInterval: fc.integer({ min: 1, max: 2147483647 }),
      reactive: fc.boolean(),
    }),
  })
  .map((r) => {
    const c: Configuration = {
      instanceName: r.instanceName,
      sequence: r.sequence,
      foreignAttributes: [],
      topologyPlugin: r.topologyPlugin,
      nodeIdLength: r.nodeIdLength,
      rootCerts: r.rootCerts,
      enrollmentServers: r.enrollmentServers,
      bootstrapNodes: r.bootstrapNodes,
      turnDensity: r.turnDensity,
      clientsPermitted: r.clientsPermitted,
      noIce: r.noIce,
      maxMessageSize: r.maxMessageSize,
      initialTtl: r.initialTtl,
      overlayReliabilityTimer: r.overlayReliabilityTimer,
      overlayLinkProtocols: r.overlayLinkProtocols,
      configurationSigners: r.configurationSigners,
      kindSigners: r.kindSigners,
      badNodes: r.badNodes,
      mandatoryExtensions: r.mandatoryExtensions,
      requiredKinds: r.kinds.map((k) => ({
        kind: {
          ...(k.byId ? { id: k.id } : { name: k.name }),
          dataModel: k.dataModel,
          accessControl: k.accessControl,
          maxCount: k.maxCount,
          maxSize: k.maxSize,
          ...(k.accessControl === 'NODE-MULTIPLE' ? { maxNodeMultiple: k.maxNodeMultiple } : {}),
          extensions: [],
        },
      })),
      chord: r.chord,
      extensions: [],
      signatures: [],
    };
    if (r.expiration !== undefined)
      c.expiration = new Date(Math.floor(r.expiration.getTime() / 1000) * 1000);
    if (r.selfSigned !== undefined) c.selfSignedPermitted = r.selfSigned;
    if (r.sharedSecret !== undefined) c.sharedSecret = r.sharedSecret;
    return c;
  });

describe('property: serialized models validate with xmllint and re-parse to the same model', () => {
  it('holds for random models', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(configArb, { minLength: 1, maxLength: 2 }), async (configs) => {
        const xml = serializeConfiguration(configs);
        const back = parseConfigurationDocument(xml);
        expect(stripSources(back.configurations)).toEqual(stripSources(configs));
        const r = await validateWithXmllint(xml);
        expect(r.output).toMatch(/validates/);
      }),
      { numRuns: 25 },
    );
  });
});
