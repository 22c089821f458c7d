/**
 * RFC 6940 §6.5.1 Attach and §6.5.2 AppAttach bodies: IceExtension, IceCandidate,
 * AttachReqAns, AppAttachReq, AppAttachAns.
 *
 * ```
 * enum { invalidOverlayLinkType(0), DTLS-UDP-SR(1), DTLS-UDP-SR-NO-ICE(3),
 *        TLS-TCP-FH-NO-ICE(4), (255) } OverlayLinkType;
 * enum { invalidCandType(0), host(1), srflx(2), /* RESERVED(3), *\/ relay(4), (255) } CandType;
 * struct { opaque name<0..2^16-1>; opaque value<0..2^16-1>; } IceExtension;
 * struct { IpAddressPort addr_port; OverlayLinkType overlay_link; opaque foundation<0..255>;
 *          uint32 priority; CandType type;
 *          select (type) { case host: ; case srflx: case relay: IpAddressPort rel_addr_port; };
 *          IceExtension extensions<0..2^16-1>; } IceCandidate;
 * struct { opaque ufrag<0..2^8-1>; opaque password<0..2^8-1>; opaque role<0..2^8-1>;
 *          IceCandidate candidates<0..2^16-1>; Boolean send_update; } AttachReqAns;
 * struct { opaque ufrag<0..2^8-1>; opaque password<0..2^8-1>; uint16 application;
 *          opaque role<0..2^8-1>; IceCandidate candidates<0..2^16-1>; } AppAttachReq, AppAttachAns;
 * ```
 * The prose requires "one or more" candidates, so decoders reject an empty list
 * (docs/decisions/0153). CandType has no extension arm: anything but host/srflx/relay is a
 * parse error (decision 0154). OverlayLinkType is an IANA registry that grows, so values other
 * than invalid (0) are kept as numbers (decision 0155).
 */
import { type Codec, type Reader, type Writer, unencodable } from '../codec.js';
import { CandType, OverlayLinkType } from '../constants.js';
import { invalidMessage } from '../errors.js';
import { type IpAddressPort, IpAddressPortCodec } from '../ip-address-port.js';
import { readBoolean, vectorCodec, writeBoolean } from './primitives.js';

/** §6.5.1.1 IceExtension: binary forms of an ICE extension attribute's name and value. */
export interface IceExtension {
  name: Uint8Array;
  value: Uint8Array;
}

/** Fields every IceCandidate has. */
interface IceCandidateBase {
  /** ICE connection-address and port. */
  addrPort: IpAddressPort;
  /** OverlayLinkType (uint8, §14.10), e.g. 4 = TLS-TCP-FH-NO-ICE; 0 is invalid. */
  overlayLink: number;
  /** ICE foundation (`opaque<0..255>`). */
  foundation: Uint8Array;
  /** ICE priority (uint32). */
  priority: number;
  extensions: IceExtension[];
}

/**
 * §6.5.1.1 IceCandidate. `type` is the CandType name; server-reflexive and relayed
 * candidates carry the related address (`rel_addr_port`), host candidates do not.
 */
export type IceCandidate = IceCandidateBase &
  (
    | { type: 'host' }
    | { type: 'srflx' | 'relay'; /** ICE rel-addr / rel-port. */ relAddrPort: IpAddressPort }
  );

/** §6.5.1.1 AttachReqAns: the body of both AttachReq and AttachAns. */
export interface AttachReqAns {
  /** ICE username fragment. */
  ufrag: Uint8Array;
  /** ICE password. */
  password: Uint8Array;
  /** RFC 4145 role: "passive" in the request (offerer), "active" in the answer. */
  role: Uint8Array;
  /** One or more candidates. */
  candidates: IceCandidate[];
  /** Ask the answerer to send an Update once the connection is up (§6.4.2.3). */
  sendUpdate: boolean;
}

/** §6.5.2.1 AppAttachReq (§6.5.2.2 AppAttachAns has the same fields). */
export interface AppAttachReq {
  ufrag: Uint8Array;
  password: Uint8Array;
  /** Application-ID (uint16, §14.5), e.g. 5060 for SIP. */
  application: number;
  role: Uint8Array;
  candidates: IceCandidate[];
}

/** §6.5.2.2 AppAttachAns. */
export type AppAttachAns = AppAttachReq;

export const IceExtensionCodec: Codec<IceExtension> = {
  encodedLength: (v) => 2 + v.name.length + 2 + v.value.length,
  encode(v, w) {
    w.opaque(v.name, 2, 'IceExtension.name');
    w.opaque(v.value, 2, 'IceExtension.value');
  },
  decode(r) {
    const name = r.opaque(2, 'IceExtension.name');
    return { name, value: r.opaque(2, 'IceExtension.value') };
  },
};

const ExtensionsCodec = vectorCodec(IceExtensionCodec, 2, 'IceCandidate.extensions');

export const IceCandidateCodec: Codec<IceCandidate> = {
  encodedLength: (v) =>
    IpAddressPortCodec.encodedLength(v.addrPort) +
    1 +
    1 +
    v.foundation.length +
    4 +
    1 +
    (v.type === 'srflx' || v.type === 'relay'
      ? IpAddressPortCodec.encodedLength(v.relAddrPort)
      : 0) +
    ExtensionsCodec.encodedLength(v.extensions),
  encode(v: IceCandidate, w: Writer) {
    IpAddressPortCodec.encode(v.addrPort, w);
    if (v.overlayLink === OverlayLinkType['INVALID-PROTOCOL']) {
      throw unencodable('IceCandidate.overlay_link', 'invalidOverlayLinkType (0)');
    }
    w.u8(v.overlayLink, 'IceCandidate.overlay_link');
    w.opaque(v.foundation, 1, 'IceCandidate.foundation');
    w.u32(v.priority, 'IceCandidate.priority');
    const t = v.type as string;
    if (t !== 'host' && t !== 'srflx' && t !== 'relay') {
      throw unencodable('IceCandidate.type', `${t} is not host, srflx or relay`);
    }
    w.u8(CandType[v.type], 'IceCandidate.type');
    if (v.type !== 'host') IpAddressPortCodec.encode(v.relAddrPort, w);
    ExtensionsCodec.encode(v.extensions, w);
  },
  decode(r: Reader): IceCandidate {
    const addrPort = IpAddressPortCodec.decode(r);
    const linkAt = r.pos;
    const overlayLink = r.u8('IceCandidate.overlay_link');
    if (overlayLink === OverlayLinkType['INVALID-PROTOCOL']) {
      throw invalidMessage('IceCandidate.overlay_link', linkAt, 'invalidOverlayLinkType (0)');
    }
    const foundation = r.opaque(1, 'IceCandidate.foundation');
    const priority = r.u32('IceCandidate.priority');
    const typeAt = r.pos;
    const type = r.u8('IceCandidate.type');
    const base = { addrPort, overlayLink, foundation, priority };
    switch (type) {
      case CandType.host:
        return { ...base, type: 'host', extensions: ExtensionsCodec.decode(r) };
      case CandType.srflx:
      case CandType.relay: {
        const relAddrPort = IpAddressPortCodec.decode(r);
        return {
          ...base,
          type: type === CandType.srflx ? 'srflx' : 'relay',
          relAddrPort,
          extensions: ExtensionsCodec.decode(r),
        };
      }
      default:
        throw invalidMessage('IceCandidate.type', typeAt, `CandType ${type} is not 1, 2 or 4`);
    }
  },
};

/** `IceCandidate candidates<1..2^16-1>` (one or more, §6.5.1.1 prose). */
function candidatesCodec(field: string): Codec<IceCandidate[]> {
  return vectorCodec(IceCandidateCodec, 2, field, { min: 1 });
}

const AttachCandidates = candidatesCodec('AttachReqAns.candidates');
const AppAttachCandidates = candidatesCodec('AppAttach.candidates');

/** §6.5.1.1 AttachReqAns codec (AttachReq and AttachAns bodies). */
export const AttachReqAnsCodec: Codec<AttachReqAns> = {
  encodedLength: (v) =>
    3 +
    v.ufrag.length +
    v.password.length +
    v.role.length +
    AttachCandidates.encodedLength(v.candidates) +
    1,
  encode(v, w) {
    w.opaque(v.ufrag, 1, 'AttachReqAns.ufrag');
    w.opaque(v.password, 1, 'AttachReqAns.password');
    w.opaque(v.role, 1, 'AttachReqAns.role');
    AttachCandidates.encode(v.candidates, w);
    writeBoolean(w, v.sendUpdate, 'AttachReqAns.send_update');
  },
  decode(r) {
    const ufrag = r.opaque(1, 'AttachReqAns.ufrag');
    const password = r.opaque(1, 'AttachReqAns.password');
    const role = r.opaque(1, 'AttachReqAns.role');
    const candidates = AttachCandidates.decode(r);
    const sendUpdate = readBoolean(r, 'AttachReqAns.send_update');
    return { ufrag, password, role, candidates, sendUpdate };
  },
};

/** §6.5.2.1 AppAttachReq codec (§6.5.2.2 AppAttachAns is identical). */
export const AppAttachReqCodec: Codec<AppAttachReq> = {
  encodedLength: (v) =>
    3 +
    v.ufrag.length +
    v.password.length +
    2 +
    v.role.length +
    AppAttachCandidates.encodedLength(v.candidates),
  encode(v, w) {
    w.opaque(v.ufrag, 1, 'AppAttach.ufrag');
    w.opaque(v.password, 1, 'AppAttach.password');
    w.u16(v.application, 'AppAttach.application');
    w.opaque(v.role, 1, 'AppAttach.role');
    AppAttachCandidates.encode(v.candidates, w);
  },
  decode(r) {
    const ufrag = r.opaque(1, 'AppAttach.ufrag');
    const password = r.opaque(1, 'AppAttach.password');
    const application = r.u16('AppAttach.application');
    const role = r.opaque(1, 'AppAttach.role');
    const candidates = AppAttachCandidates.decode(r);
    return { ufrag, password, application, role, candidates };
  },
};

/** §6.5.2.2 AppAttachAns codec (same layout as AppAttachReq). */
export const AppAttachAnsCodec: Codec<AppAttachAns> = AppAttachReqCodec;
