/**
 * Wire codec speed vs RSA verification (issue 2, "Speed"). Run it against the BUILT package,
 * as production does:
 *
 *   npx tsc -b packages/wire        # or `pnpm run build` for the whole repo
 *   npx tsx bench/wire/codec.ts     # no --conditions=@reload/source
 *
 * With `--conditions=@reload/source`, tsx transpiles the TypeScript sources itself (getter
 * based re-exports and all), which is not the code peers run: the script refuses to measure
 * that, and refuses a `dist/` older than `src/` (pass `--allow-source` / `--allow-stale` to
 * override, e.g. while profiling).
 *
 * Encodes and decodes a typical StoreReq message — one 1 KiB StoredData (SINGLE value,
 * private Kind 0xF0000001) signed with RSA-2048, inside a full RELOAD message with a
 * forwarding header (one via entry, a Resource-ID destination) and a SecurityBlock carrying
 * a certificate-sized blob and an RSA-2048 message signature — and compares the rate with one
 * RSA-2048 SHA-256 signature verification by node:crypto in the same run. Target: the codec
 * at least 10× faster than one verify.
 *
 * Every iteration builds a fresh Message object (as a sender does), encodes it, decodes the
 * bytes with decodeMessage and the StoreReq body with its codec in the same pass
 * (`decodeMessage(bytes, { body })`), then reads the decoded fields a receiving peer reads (so
 * nothing can be skipped or left unbuilt).
 *
 * The StoreReq body goes through @reload/wire's storeReqCodec (§7.4.1) both ways; the
 * message through encodeMessage / decodeMessage (§6.3).
 */
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  type Message,
  decodeMessage,
  encodeMessage,
  newForwardingHeader,
  storeReqCodec,
  type StoreReq,
} from '@reload/wire';

/** Refuses (exit 2) to measure the TypeScript sources or a stale build (see the header). */
function checkBuild(): void {
  const resolved = import.meta.resolve('@reload/wire');
  const allow = (flag: string): boolean => process.argv.includes(flag);
  if (!resolved.includes('/dist/')) {
    console.error(`@reload/wire resolves to ${resolved}, not to the built dist/.`);
    console.error(
      'Run without --conditions=@reload/source (build first: npx tsc -b packages/wire).',
    );
    if (!allow('--allow-source')) process.exit(2);
    return;
  }
  const pkg = fileURLToPath(new URL('..', resolved));
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(`${dir}/${e.name}`) : statSync(`${dir}/${e.name}`).mtimeMs,
      ),
    );
  const built = statSync(`${pkg}dist/.tsbuildinfo`).mtimeMs;
  if (newest(`${pkg}src`) > built) {
    console.error(`${pkg}src is newer than its dist/: run npx tsc -b packages/wire first.`);
    if (!allow('--allow-stale')) process.exit(2);
  }
}
checkBuild();

const KIND = 0xf0000001;
const modelOf = (kind: number): string | undefined => (kind === KIND ? 'SINGLE' : undefined);
const codec = storeReqCodec(modelOf);

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const resource = new Uint8Array(createHash('sha1').update('bench').digest().subarray(0, 16));
const value = new Uint8Array(1024).map((_, i) => i & 0xff);
const certHash = new Uint8Array(32).fill(0x11);
const identity = { identityType: 1 as const, hashAlg: 4, certificateHash: certHash };
const dataSigInput = Buffer.concat([resource, Buffer.from('f0000001', 'hex'), value]);
const dataSignature = new Uint8Array(sign('sha256', dataSigInput, privateKey));

const storeReq: StoreReq = {
  resource,
  replicaNumber: 0,
  kindData: [
    {
      kind: KIND,
      generationCounter: 1n,
      values: [
        {
          storageTime: 1_764_115_200_000n,
          lifetime: 86_400,
          value: { model: 'SINGLE', value: { exists: true, value } },
          signature: {
            algorithm: { hash: 4, signature: 1 },
            identity,
            signatureValue: dataSignature,
          },
        },
      ],
    },
  ],
};

const certificate = new Uint8Array(800).fill(0x30); // certificate-sized opaque blob
const viaNode = new Uint8Array(16).fill(0xc0);
const messageSignature = new Uint8Array(sign('sha256', Buffer.from('x'), privateKey));
// `messageBody` is ignored when the body comes from a codec (encodeMessage's `body` option):
// a caller passes one shared empty array. Creating a zero-length Uint8Array allocates an
// ArrayBuffer, ≈ 240 ns in V8 — the caller's cost, not the codec's (docs/benchmarks/wire.md).
const NO_BODY = new Uint8Array(0);

function encode(): Uint8Array {
  const msg: Message = {
    forwardingHeader: newForwardingHeader({
      overlay: 0x4e38fc3f,
      transactionId: 0x5245_4c4f_0000_0001n,
      viaList: [{ kind: 'node', nodeId: viaNode }],
      destinationList: [{ kind: 'resource', resourceId: resource }],
    }),
    messageContents: {
      messageCode: 7,
      messageBody: NO_BODY, // ignored: the body comes from the codec below
      extensions: [],
    },
    securityBlock: {
      certificates: [{ type: 0, certificate }],
      signature: {
        algorithm: { hash: 4, signature: 1 },
        identity,
        signatureValue: messageSignature,
      },
    },
  };
  // the StoreReq body is encoded in place by its codec: one allocation per message
  return encodeMessage(msg, { body: { codec, value: storeReq } });
}

function decode(bytes: Uint8Array): StoreReq {
  return decodeMessage(bytes, { body: codec }).body;
}

/** Decodes and reads what a receiving peer reads (header, signature, certificates, value). */
function decodeAndRead(bytes: Uint8Array): number {
  // the StoreReq body is decoded in the same pass (it must fill message_body exactly)
  const m = decodeMessage(bytes, { body: codec });
  const req = m.body;
  const h = m.forwardingHeader;
  const sb = m.securityBlock;
  const kd = req.kindData[0];
  const sd = 'values' in kd ? kd.values[0] : undefined;
  const id = sb.signature.identity;
  return (
    h.ttl +
    h.viaList.length +
    h.destinationList.length +
    (h.transactionId === 0n ? 1 : 0) +
    m.contentsBytes.length +
    sb.certificates[0].certificate.length +
    sb.signature.signatureValue.length +
    ('certificateHash' in id ? id.certificateHash.length : 0) +
    req.resource.length +
    (sd === undefined
      ? 0
      : sd.value.value.value.length + sd.signature.signatureValue.length + sd.lifetime)
  );
}

/** Accumulated measurement of one operation over all rounds. */
interface Tally {
  ops: number;
  /** CPU time (user + system) in µs. */
  cpu: number;
  /** System (kernel) CPU time in µs. */
  system: number;
  faults: number;
}

/**
 * Runs `f` for about `ms` milliseconds of this process's CPU time, calling it `batch` times
 * between clock reads, and adds the operations and CPU time to `t`. CPU time
 * (process.cpuUsage: user + system, all threads incl. the GC's helpers), not wall time, so
 * that other load on the machine does not distort the comparison; both operations are
 * measured the same way. Returns this slice's operations per CPU-second.
 */
function slice(f: () => void, batch: number, ms: number, t: Tally): number {
  let n = 0;
  const faults = process.resourceUsage().minorPageFault;
  const start = process.cpuUsage();
  let d = process.cpuUsage(start);
  while (d.user + d.system < ms * 1000) {
    for (let i = 0; i < batch; i++) f();
    n += batch;
    d = process.cpuUsage(start); // a system call: batches keep its cost out of the rate
  }
  const used = d.user + d.system;
  t.ops += n;
  t.cpu += used;
  t.system += d.system;
  t.faults += process.resourceUsage().minorPageFault - faults;
  return n / (used / 1e6);
}

const sample = encode();
const back = decode(sample);
if (back.kindData.length !== 1 || !('values' in back.kindData[0])) throw new Error('bad decode');
let sink = 0;
const codecOp = (): void => {
  sink += decodeAndRead(encode());
};
const verifyOp = (): void => {
  if (!verify('sha256', dataSigInput, publicKey, dataSignature)) throw new Error('verify failed');
};
for (let i = 0; i < 2000; i++) codecOp(); // warm-up (JIT)
for (let i = 0; i < 200; i++) verifyOp();
// Interleaved rounds: the machine is shared, and its load changes within seconds; measuring
// codec and verify alternately in short slices exposes both to the same conditions, and the
// per-round ratios show how much the load moved.
const ROUNDS = 10;
const codecTally = { ops: 0, cpu: 0, system: 0, faults: 0 };
const rsa = { ops: 0, cpu: 0, system: 0, faults: 0 };
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const c = slice(codecOp, 1000, 300, codecTally);
  const v = slice(verifyOp, 50, 300, rsa);
  ratios.push(c / v);
}
const codecRate = codecTally.ops / (codecTally.cpu / 1e6);
const verifyRate = rsa.ops / (rsa.cpu / 1e6);
ratios.sort((a, b) => a - b);
const median = (ratios[(ROUNDS - 1) >> 1] + ratios[ROUNDS >> 1]) / 2;
const pct = (x: number): string => `${(100 * x).toFixed(0)} %`;
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
console.log(
  `load average (1, 5, 15 min): ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
);
console.log(`StoreReq message: ${sample.length} bytes (one 1 KiB StoredData, RSA-2048 signatures)`);
console.log(
  `encode+decode StoreReq message: ${codecRate.toFixed(0)} /s (per CPU-second; kernel ` +
    `${pct(codecTally.system / codecTally.cpu)}, ${(codecTally.faults / codecTally.ops).toFixed(3)} page faults/op)`,
);
console.log(`RSA-2048 SHA-256 verify (node:crypto): ${verifyRate.toFixed(0)} /s (per CPU-second)`);
console.log(
  `ratio codec / verify: ${(codecRate / verifyRate).toFixed(1)}× overall, per round ` +
    `${ratios[0].toFixed(1)}–${ratios[ROUNDS - 1].toFixed(1)}× (median ${median.toFixed(1)}×) ` +
    `(target ≥ 10×)${sink < 0 ? '' : ''}`,
);
