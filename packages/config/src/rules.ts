/**
 * Value ranges of the §11.1 parameters: the grammar's datatype (§11.1.1) narrowed by the
 * prose where it says more. Shared by the parser and by {@link checkConfiguration}, so that
 * a model we serialize obeys the same rules as a document we parse.
 */
import { ReloadError } from '@reload/wire';
import { MAX_SEQUENCE, MIN_OVERLAY_RELIABILITY_TIMER, NODE_ID_LENGTH_RANGE } from './constants.js';
import type { Configuration, KindDefinition } from './model.js';
import {
  INT,
  parseHttpsUrl,
  parseIpAddress,
  parseNodeIdHex,
  type Range,
  UNSIGNED_BYTE,
  UNSIGNED_INT,
} from './values.js';

/** Integer ranges, by element (or attribute) name. */
export const RANGES = {
  sequence: [0, MAX_SEQUENCE],
  'node-id-length': NODE_ID_LENGTH_RANGE,
  'turn-density': UNSIGNED_BYTE,
  'max-message-size': [1, UNSIGNED_INT[1]],
  // TTL is a uint8 in the ForwardingHeader (§6.3.2); 0 would forbid any forwarding.
  'initial-ttl': [1, 255],
  'overlay-reliability-timer': [MIN_OVERLAY_RELIABILITY_TIMER, INT[1]],
  'chord-ping-interval': [1, INT[1]],
  'chord-update-interval': [1, INT[1]],
  port: [1, 65535],
  id: UNSIGNED_INT,
  'max-count': [0, INT[1]],
  'max-size': [0, INT[1]],
  'max-node-multiple': [1, INT[1]],
} as const satisfies Record<string, Range>;

function inRange(v: number, r: Range): boolean {
  return Number.isSafeInteger(v) && v >= r[0] && v <= r[1];
}

function bad(element: string, why: string): ReloadError {
  return new ReloadError('CONFIG_INVALID', `<${element}>: ${why}`, { field: element });
}

function checkInt(element: string, v: number, r: Range): void {
  if (!inRange(v, r)) throw bad(element, `${v} is out of range ${r[0]}..${r[1]}`);
}

function checkText(element: string, s: string): void {
  // Characters XML 1.0 cannot carry.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(s))
    throw bad(element, 'contains characters XML cannot represent');
}

/** Checks a kind definition (§11.1 kind element). Throws ReloadError 'CONFIG_INVALID'. */
export function checkKind(k: KindDefinition): void {
  if ((k.id === undefined) === (k.name === undefined))
    throw bad('kind', 'needs exactly one of the attributes id and name');
  if (k.id !== undefined) checkInt('kind', k.id, RANGES.id);
  if (k.name !== undefined) {
    checkText('kind', k.name);
    if (k.name.trim() === '') throw bad('kind', 'empty name');
  }
  checkInt('max-count', k.maxCount, RANGES['max-count']);
  checkInt('max-size', k.maxSize, RANGES['max-size']);
  if (k.dataModel.trim() === '') throw bad('data-model', 'empty');
  if (k.accessControl.trim() === '') throw bad('access-control', 'empty');
  checkText('data-model', k.dataModel);
  checkText('access-control', k.accessControl);
  if (k.maxNodeMultiple !== undefined)
    checkInt('max-node-multiple', k.maxNodeMultiple, RANGES['max-node-multiple']);
  else if (k.accessControl === 'NODE-MULTIPLE')
    throw bad('kind', 'access-control NODE-MULTIPLE requires <max-node-multiple> (RFC 6940 §11.1)');
}

/**
 * Checks that a configuration model obeys the §11.1 rules (ranges, URL schemes, Node-ID
 * syntax, addresses). Throws ReloadError 'CONFIG_INVALID' naming the element.
 */
export function checkConfiguration(c: Configuration): void {
  if (c.instanceName.trim() === '') throw bad('configuration', 'instance-name is empty');
  checkText('configuration', c.instanceName);
  checkInt('configuration', c.sequence, RANGES.sequence);
  if (c.expiration !== undefined && Number.isNaN(c.expiration.getTime()))
    throw bad('configuration', 'expiration is not a valid date');
  if (c.topologyPlugin.trim() === '') throw bad('topology-plugin', 'empty');
  checkText('topology-plugin', c.topologyPlugin);
  checkInt('node-id-length', c.nodeIdLength, RANGES['node-id-length']);
  checkInt('turn-density', c.turnDensity, RANGES['turn-density']);
  checkInt('max-message-size', c.maxMessageSize, RANGES['max-message-size']);
  checkInt('initial-ttl', c.initialTtl, RANGES['initial-ttl']);
  checkInt(
    'overlay-reliability-timer',
    c.overlayReliabilityTimer,
    RANGES['overlay-reliability-timer'],
  );
  checkInt('chord:chord-ping-interval', c.chord.pingInterval, RANGES['chord-ping-interval']);
  checkInt('chord:chord-update-interval', c.chord.updateInterval, RANGES['chord-update-interval']);
  for (const u of c.enrollmentServers) {
    const p = parseHttpsUrl(u);
    if (!p.ok) throw bad('enrollment-server', p.why);
  }
  for (const b of c.bootstrapNodes) {
    const p = parseIpAddress(b.address);
    if (!p.ok) throw bad('bootstrap-node', p.why);
    checkInt('bootstrap-node', b.port, RANGES.port);
  }
  const lists: [string, string[]][] = [
    ['configuration-signer', c.configurationSigners],
    ['kind-signer', c.kindSigners],
    ['bad-node', c.badNodes],
  ];
  for (const [name, list] of lists)
    for (const id of list) {
      const p = parseNodeIdHex(id);
      if (!p.ok) throw bad(name, p.why);
    }
  if (c.sharedSecret !== undefined) checkText('shared-secret', c.sharedSecret);
  if (c.selfSignedPermitted !== undefined) {
    if (c.selfSignedPermitted.digest.trim() === '')
      throw bad('self-signed-permitted', 'empty digest attribute');
    checkText('self-signed-permitted', c.selfSignedPermitted.digest);
  }
  for (const p of c.overlayLinkProtocols) checkText('overlay-link-protocol', p);
  for (const m of c.mandatoryExtensions) checkText('mandatory-extension', m);
  for (const b of c.requiredKinds) checkKind(b.kind);
}
