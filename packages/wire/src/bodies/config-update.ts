/**
 * RFC 6940 §6.5.4 ConfigUpdate bodies.
 *
 * ```
 * enum { invalidConfigUpdateType(0), config(1), kind(2), (255) } ConfigUpdateType;
 * typedef opaque KindDescription<0..2^16-1>;
 * struct { ConfigUpdateType type; uint32 length;
 *          select (type) { case config: opaque config_data<0..2^24-1>;
 *                          case kind: KindDescription kinds<0..2^24-1>;
 *                          /* This structure may be extended with new types *\/ };
 *        } ConfigUpdateReq;
 * struct { } ConfigUpdateAns;
 * ```
 * `length` is the length of the rest of the structure; the encoder computes it and the
 * decoder requires the selected arm to fill it exactly. Unknown types keep those bytes raw.
 */
import { type Codec, unencodable } from '../codec.js';
import { ConfigUpdateType } from '../constants.js';
import { invalidMessage } from '../errors.js';
import { emptyCodec, vectorCodec } from './primitives.js';

/**
 * §6.5.4.1 ConfigUpdateReq. `config` carries a whole configuration document (UTF-8 XML,
 * §11.1); `kind` carries UTF-8 `<kind-block>` productions, one per KindDescription.
 */
export type ConfigUpdateReq =
  | { type: 'config'; configData: Uint8Array }
  | { type: 'kind'; kinds: Uint8Array[] }
  | { type: 'unknown'; /** ConfigUpdateType 3..255. */ code: number; data: Uint8Array };

/** §6.5.4.2 ConfigUpdateAns: empty. */
export type ConfigUpdateAns = Record<string, never>;

/** `KindDescription` = `opaque<0..2^16-1>`. */
export const KindDescriptionCodec: Codec<Uint8Array> = {
  encodedLength: (v) => 2 + v.length,
  encode: (v, w) => w.opaque(v, 2, 'KindDescription'),
  decode: (r) => r.opaque(2, 'KindDescription'),
};

const KindsCodec = vectorCodec(KindDescriptionCodec, 3, 'ConfigUpdateReq.kinds');

function restLength(v: ConfigUpdateReq): number {
  switch (v.type) {
    case 'config':
      return 3 + v.configData.length;
    case 'kind':
      return KindsCodec.encodedLength(v.kinds);
    case 'unknown':
      return v.data.length;
  }
}

export const ConfigUpdateReqCodec: Codec<ConfigUpdateReq> = {
  encodedLength: (v) => 1 + 4 + restLength(v),
  encode(v, w) {
    const code = v.type === 'unknown' ? v.code : ConfigUpdateType[v.type];
    if (v.type === 'unknown' && (code < 3 || code > 255)) {
      throw unencodable('ConfigUpdateReq.type', `${code} is not an unknown type (3..255)`);
    }
    w.u8(code, 'ConfigUpdateReq.type');
    w.vector(4, restLength(v), 'ConfigUpdateReq.length', () => {
      switch (v.type) {
        case 'config':
          w.opaque(v.configData, 3, 'ConfigUpdateReq.config_data');
          break;
        case 'kind':
          KindsCodec.encode(v.kinds, w);
          break;
        case 'unknown':
          w.bytes(v.data, 'ConfigUpdateReq.data');
          break;
      }
    });
  },
  decode(r): ConfigUpdateReq {
    const at = r.pos;
    const code = r.u8('ConfigUpdateReq.type');
    const body = r.sub(4, 'ConfigUpdateReq.length');
    let out: ConfigUpdateReq;
    switch (code) {
      case ConfigUpdateType.invalidConfigUpdateType:
        throw invalidMessage('ConfigUpdateReq.type', at, 'invalidConfigUpdateType (0)');
      case ConfigUpdateType.config:
        out = { type: 'config', configData: body.opaque(3, 'ConfigUpdateReq.config_data') };
        break;
      case ConfigUpdateType.kind:
        out = { type: 'kind', kinds: KindsCodec.decode(body) };
        break;
      default:
        return { type: 'unknown', code, data: body.bytes(body.remaining, 'ConfigUpdateReq.data') };
    }
    body.done('ConfigUpdateReq.length');
    return out;
  },
};

/** §6.5.4.2 ConfigUpdateAns codec (zero bytes). */
export const ConfigUpdateAnsCodec: Codec<ConfigUpdateAns> = emptyCodec();
