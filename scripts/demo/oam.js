// A small OAM client: HTTPS with the overlay's OAM client certificate (the same requests an
// operator makes with `curl --cert … --key …`), names resolved through the demo's DNS responder.
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';

/**
 * Creates an OAM client for `overlay` served at `port` on loopback.
 * @param {{overlay: string, port: number, lookup: Function, provision: {servicesCa: string,
 *   oamClientCert: string, oamClientKey: string}}} o
 */
export async function createOamClient(o) {
  const [ca, cert, key] = await Promise.all([
    readFile(o.provision.servicesCa, 'utf8'),
    readFile(o.provision.oamClientCert, 'utf8'),
    readFile(o.provision.oamClientKey, 'utf8'),
  ]);
  const base = `https://${o.overlay}:${o.port}`;

  /** One request; resolves {status, type, body (string)}; rejects on transport errors. */
  const call = (method, path, body, contentType) =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          method,
          host: o.overlay,
          port: o.port,
          path,
          servername: o.overlay,
          lookup: o.lookup,
          ca,
          cert,
          key,
          agent: false,
          timeout: 15_000,
          headers: body === undefined ? {} : { 'content-type': contentType },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              type: String(res.headers['content-type'] ?? ''),
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${base}${path}: no answer in 15 s`)),
      );
      req.on('error', reject);
      req.end(body);
    });

  const expect = async (what, wanted, p) => {
    const r = await p;
    if (!wanted.includes(r.status))
      throw new Error(`OAM ${what} answered HTTP ${r.status}: ${r.body.slice(0, 300)}`);
    return r;
  };

  return {
    base,
    /** POST /type=Enrollment/Users (form name, password). */
    addUser: (name, password) =>
      expect(
        `add user ${name}`,
        [201],
        call(
          'POST',
          '/type=Enrollment/Users',
          new URLSearchParams({ name, password }).toString(),
          'application/x-www-form-urlencoded',
        ),
      ),
    /** GET /type=Enrollment/Users → [{name, createdAt, nodeIds}]. */
    listUsers: async () =>
      JSON.parse((await expect('list users', [200], call('GET', '/type=Enrollment/Users'))).body)
        .users,
    /** GET /type=Configuration/NakedConfiguration → XML text. */
    nakedConfiguration: async () =>
      (
        await expect(
          'get naked configuration',
          [200],
          call('GET', '/type=Configuration/NakedConfiguration'),
        )
      ).body,
    /** PUT /type=Configuration/NakedConfiguration → {sequence}. */
    putNakedConfiguration: async (xml) =>
      JSON.parse(
        (
          await expect(
            'put naked configuration',
            [200],
            call(
              'PUT',
              '/type=Configuration/NakedConfiguration',
              xml,
              'application/p2p-overlay+xml',
            ),
          )
        ).body,
      ),
  };
}
