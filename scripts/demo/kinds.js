// The demo's Kinds. The default naked configuration written by provisioning
// (packages/provisioning/src/naked-config.ts) defines only the §8 certificate Kinds
// CERTIFICATE_BY_NODE and CERTIFICATE_BY_USER, both ARRAY. To show every data model the demo
// adds three private-use Kinds (RFC 6940 §14.6: 0xF0000001–0xFFFFFFFE, described in the
// configuration, §11.1) through the OAM API, as an operator would. See
// docs/decisions/0550-demo-kinds.md.

/** Kinds the demo adds: one per data model, USER-MATCH (a user writes under its user name). */
export const DEMO_KINDS = [
  { id: 0xf0000001, label: 'demo-status', dataModel: 'SINGLE', maxCount: 1 },
  { id: 0xf0000002, label: 'demo-log', dataModel: 'ARRAY', maxCount: 16 },
  { id: 0xf0000003, label: 'demo-contacts', dataModel: 'DICTIONARY', maxCount: 16 },
];

function kindBlock(k) {
  return `      <kind-block>
        <kind id="${k.id}">
          <data-model>${k.dataModel}</data-model>
          <access-control>USER-MATCH</access-control>
          <max-count>${k.maxCount}</max-count>
          <max-size>1024</max-size>
        </kind>
      </kind-block>
`;
}

/**
 * The naked configuration `xml` with the demo Kinds added to its required-kinds and the
 * sequence number incremented (the OAM rule: current + 1 modulo 65535, RFC 6940 §11.1).
 * @throws Error when the document has no sequence attribute or no required-kinds element.
 */
export function withDemoKinds(xml) {
  const seq = /(<configuration\b[^>]*\bsequence=")(\d+)(")/.exec(xml);
  if (!seq) throw new Error('the naked configuration has no sequence attribute');
  const next = (Number(seq[2]) + 1) % 65535;
  let out = xml.replace(seq[0], `${seq[1]}${next}${seq[3]}`);
  const blocks = DEMO_KINDS.map(kindBlock).join('');
  if (/<\/required-kinds>/.test(out))
    out = out.replace(/([ \t]*)<\/required-kinds>/, `${blocks}$1</required-kinds>`);
  else if (/<\/configuration>/.test(out))
    out = out.replace(
      /([ \t]*)<\/configuration>/,
      `    <required-kinds>\n${blocks}    </required-kinds>\n$1</configuration>`,
    );
  else throw new Error('the naked configuration has no configuration element');
  return { xml: out, sequence: next };
}
