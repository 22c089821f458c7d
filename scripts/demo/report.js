// The demo's readable report (the --json report is the same object, serialised).
import { relative } from 'node:path';

const short = (id) => (id ? `${id.slice(0, 8)}…${id.slice(-4)}` : '?');
const median = (xs) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const stats = (xs) =>
  xs.length ? `median ${median(xs)}, min ${Math.min(...xs)}, max ${Math.max(...xs)}` : '-';

function table(rows) {
  const widths = rows[0].map((_c, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r) =>
      r
        .map((c, i) =>
          typeof c === 'number' ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]),
        )
        .join('  ')
        .trimEnd(),
    )
    .map((l) => `  ${l}\n`)
    .join('');
}

/** The report as text for a person. */
export function formatReport(r) {
  const out = [];
  const passed = r.steps.filter((s) => s.ok).length;
  out.push(
    `\n=== RELOAD demo report: ${r.ok ? 'every step worked' : 'FAILED'} (${passed}/${r.stepsTotal ?? r.steps.length} steps passed, ${((r.totalMs ?? 0) / 1000).toFixed(1)} s) ===\n\n`,
  );
  for (const [i, s] of r.steps.entries())
    out.push(
      `  ${s.ok ? 'ok  ' : 'FAIL'} ${i + 1}. ${s.title} (${s.ms} ms)${s.ok ? '' : `\n         ${s.error}`}\n`,
    );
  if (r.services)
    out.push(
      `\nOverlay ${r.overlay}: configuration sequence ${r.services.configurationSequence ?? '?'} at ${r.services.configurationUrl}\n` +
        `  services: HTTPS ${r.services.https}, DNS ${r.services.dns}/udp (SRV _reload-config._tcp.${r.overlay})\n`,
    );
  if (r.kinds.length)
    out.push(
      `  Kinds added through OAM: ${r.kinds.map((k) => `${k.hex} ${k.label} (${k.dataModel}, ${k.accessControl})`).join('; ')}\n`,
    );
  if (r.ring.length) {
    out.push(`\nRing: ${r.ring.length} peers in Node-ID order (CHORD-RELOAD, TLS links)\n`);
    const byId = new Map(r.peers.map((p) => [p.nodeId, p]));
    const rows = [
      [
        '#',
        'Node-ID',
        'peer',
        'user',
        'listen',
        'enroll ms',
        'join ms',
        'links',
        'fingers',
        'stored',
      ],
    ];
    r.ring.forEach((id, i) => {
      const p = byId.get(id) ?? {};
      rows.push([
        i + 1,
        id,
        p.name ?? '?',
        p.user ?? '?',
        p.listen ?? '',
        p.enrollMs ?? '',
        p.joinMs ?? '',
        p.links ?? '',
        p.fingers ?? '',
        p.storedResources ?? '',
      ]);
    });
    out.push(table(rows));
    const joins = r.peers
      .slice(1)
      .map((p) => p.joinMs)
      .filter((x) => typeof x === 'number');
    out.push(`  join time (ms, startNode to joined): ${stats(joins)}\n`);
  }
  if (r.stores.length) {
    out.push(`\nStores (signed by the storing peer's key, sent to the responsible peer)\n`);
    const rows = [
      ['kind', 'model', 'resource', 'value', 'by', 'stored at', 'replicas', 'hops', 'ms'],
    ];
    for (const s of r.stores)
      rows.push([
        s.kind,
        s.model,
        s.resource,
        `${s.key !== undefined ? `${s.key}=` : ''}${s.value}`,
        s.by,
        `${s.storedAtPeer}`,
        s.replicas.length,
        s.hops,
        s.rttMs,
      ]);
    out.push(table(rows));
    out.push(
      `  store latency (ms): ${stats(r.stores.map((s) => s.rttMs))}; hops: ${stats(r.stores.map((s) => s.hops))}\n`,
    );
    out.push(
      '  hops: peers that forwarded the answer (initial-ttl minus the TTL received, RFC 6940 §6.3.2; 0: straight from a neighbour);\n' +
        '  ms: request sent to answer received, measured by the requesting peer\n',
    );
  }
  const fetchTable = (title, list) => {
    out.push(`\n${title}\n`);
    const rows = [['kind', 'model', 'resource', 'by', 'from', 'values', 'hops', 'ms', 'check']];
    for (const f of list)
      rows.push([
        f.kind,
        f.model,
        f.resource,
        f.by,
        f.fetchedFromPeer,
        f.values.length,
        f.hops,
        f.rttMs,
        f.ok ? 'same' : 'DIFFERENT',
      ]);
    out.push(table(rows));
    out.push(
      `  fetch latency (ms): ${stats(list.map((f) => f.rttMs))}; hops: ${stats(list.map((f) => f.hops))}\n`,
    );
  };
  if (r.fetches.length)
    fetchTable('Fetches (from another peer than the one that stored)', r.fetches);
  if (r.leave) {
    out.push(
      `\nLeave: ${r.leave.peer} (${short(r.leave.nodeId)}), responsible for ${r.stores[0]?.resource ?? '?'} and holding ${r.leave.storedResources} resources, left gracefully in ${r.leave.ms} ms; the ring closed over ${r.leave.ring.length} peers.\n`,
    );
    if (r.leave.refetches.length) fetchTable('Fetches after the leave', r.leave.refetches);
  }
  if (r.refusedEnrollment) out.push(`\nWrong password at enrollment: ${r.refusedEnrollment}\n`);
  if (r.dataDir) {
    out.push(`\nData directory: ${r.dataDir}\n`);
    out.push(`  services/           provisioning store (CAs, configuration signer, users)\n`);
    if (r.peers.length)
      out.push(
        `  peers/peer-NN/      reload-node data directories (configuration.xml, certificate.pem, key.pem, storage/)\n`,
      );
    out.push(`  demo.log            the peers' log (JSON lines)\n`);
    if (!r.keep) out.push(`  (kept for a look; remove it with: rm -rf ${r.dataDir})\n`);
  }
  if (r.keylogFile) out.push(`TLS keys (SSLKEYLOGFILE) appended to ${r.keylogFile}\n`);
  if (r.recentPeerWarnings?.length)
    out.push(`\nLast peer warnings:\n${r.recentPeerWarnings.map((w) => `  ${w}\n`).join('')}`);
  return out.join('');
}

/** What to try against a kept overlay (`--keep`). */
export function keepInstructions(r) {
  const live = r.peers.filter((p) => !p.left);
  const a = live[0];
  const b = live[Math.floor(live.length / 2)] ?? live[0];
  const d = (p) => (r.dataDir ? relative(process.cwd(), p.dataDir) || p.dataDir : p.dataDir);
  const dir = (p) => (d(p).startsWith('..') ? p.dataDir : d(p));
  const kind = (m) => r.kinds.find((k) => k.dataModel === m)?.hex ?? '?';
  return `
The overlay keeps running (--keep): ${live.length} peers, services on ${r.services.https}.
Each peer answers reload-node on its control socket (DATA/control.sock). Try, in another terminal:

  pnpm reload-node status --data ${dir(a)}
  pnpm reload-node store  --data ${dir(a)} --kind ${kind('SINGLE')} --resource ${a.user} --value "hello from ${a.user}"
  pnpm reload-node fetch  --data ${dir(b)} --kind ${kind('SINGLE')} --resource ${a.user}
  pnpm reload-node store  --data ${dir(a)} --kind ${kind('DICTIONARY')} --resource ${a.user} --key city --value Paris
  pnpm reload-node fetch  --data ${dir(b)} --kind ${kind('DICTIONARY')} --resource ${a.user} --json
  pnpm reload-node store  --data ${dir(b)} --kind ${kind('ARRAY')} --resource ${b.user} --value "appended"

(\`node apps/overlay-node/dist/bin.js …\` runs the same without the build step.)
Add a user through OAM, enroll one more peer of your own and run it:

  curl -sS --cacert ${r.services.servicesCa} --cert ${r.services.oamClientCert} --key ${r.services.oamClientKey} \\
      --resolve ${r.overlay}:${r.services.https.split(':')[1]}:127.0.0.1 -d name=extra -d password=secret ${r.services.oamUrl}/type=Enrollment/Users
  pnpm reload-node enroll --overlay ${r.overlay} --dns ${r.services.dns} --ca-file ${r.services.servicesCa} \\
      --username extra --password secret --data /tmp/extra-peer
  pnpm reload-node run --data /tmp/extra-peer --listen 127.0.0.1:0 --bootstrap ${live[0].listen}

Press Ctrl-C to stop: every peer sends Leave, then the services stop.
`;
}
