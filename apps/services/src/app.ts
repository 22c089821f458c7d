/**
 * The fastify application of reload-services: configuration (RFC 6940 §11.2), enrollment
 * (§11.3) and OAM routes for every overlay hosted in a {@link ProvisioningStore}. The overlay is
 * the virtual host: chosen by the Host header, which must agree with the TLS server name (SNI)
 * when the client sent one.
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import type { FastifyBaseLogger } from 'fastify';
import { isReloadError } from '@reload/wire';
import { CONFIG_MEDIA_TYPE as CONFIG_MEDIA_TYPE_, CONFIG_WELL_KNOWN_PATH } from '@reload/config';
import {
  ConfigurationRuleError,
  EnrollmentError,
  type ProvisioningStore,
} from '@reload/provisioning';

/** Media type of configuration documents (RFC 6940 §14.16; from @reload/config). */
export const CONFIG_MEDIA_TYPE = CONFIG_MEDIA_TYPE_;
/** Media type of the enrollment answer (RFC 2585, RFC 6940 §11.3). */
export const CERT_MEDIA_TYPE = 'application/pkix-cert';
/** Path of the configuration document (RFC 6940 §11.2, §14.1; from @reload/config). */
export const CONFIG_PATH = CONFIG_WELL_KNOWN_PATH;
/** Path of the enrollment server (the configuration's enrollment-server URL points here). */
export const ENROLLMENT_PATH = '/enrollment';

/** Limits of request bodies, bytes. */
export const LIMITS = {
  /** Largest CSR accepted. */
  csr: 16 * 1024,
  /** Largest other form field. */
  field: 1024,
  /** Largest naked configuration upload. */
  configuration: 256 * 1024,
  /** Largest body overall (other routes). */
  body: 64 * 1024,
} as const;

/** Options of {@link buildServicesApp}. */
export interface ServicesAppOptions {
  /** The shared records. */
  store: ProvisioningStore;
  /** Hosted overlay names (lower case). */
  overlays: string[];
  /** HTTPS options handed to fastify (SNICallback, requestCert…); omit for `inject()` tests. */
  https?: HttpsServerOptions;
  /** A pino logger, or `false` (default) for none. */
  logger?: FastifyBaseLogger | false;
  /**
   * Extra RELAX NG / schema validation of uploaded configurations (throw to reject); the
   * built-in §11.1.1 structural check always runs.
   */
  validateConfiguration?: (xml: string) => void | Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The hosted overlay this request addresses. */
    overlay: string;
  }
}

/** HTTP status of the string error codes of @reload/provisioning. */
const STATUS_OF_CODE: Record<string, number> = {
  BAD_USER_NAME: 400,
  BAD_PASSWORD: 400,
  USER_EXISTS: 409,
  UNKNOWN_USER: 404,
  UNKNOWN_OVERLAY: 404,
};

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const errorSchema = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['statusCode', 'code', 'message'],
} as const;

const nameParam = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['name'],
} as const;

/** The certificate a client presented on this TLS connection, or undefined. */
function peerCertificate(req: FastifyRequest): X509Certificate | undefined {
  const sock = req.raw.socket as Partial<TLSSocket>;
  if (typeof sock.getPeerCertificate !== 'function') return undefined;
  const pc = sock.getPeerCertificate();
  if (!pc || !pc.raw) return undefined;
  return new X509Certificate(pc.raw);
}

/**
 * Builds the fastify instance (not listening). Routes: `GET /.well-known/reload-config`,
 * `POST /enrollment`, and the OAM routes of the design contract.
 */
export async function buildServicesApp(opts: ServicesAppOptions): Promise<FastifyInstance> {
  const hosted = new Set(opts.overlays.map((o) => o.toLowerCase()));
  const app = Fastify({
    ...(opts.https ? { https: opts.https } : {}),
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: LIMITS.body,
  }) as unknown as FastifyInstance;
  const store = opts.store;

  app.decorateRequest('overlay', '');

  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    if (err instanceof ConfigurationRuleError) {
      return reply.code(err.statusCode).type('text/plain; charset=utf-8').send(`${err.message}\n`);
    }
    let statusCode = 500;
    let code = 'INTERNAL_ERROR';
    let message = 'internal error';
    if (err instanceof HttpError) {
      ({ statusCode, code, message } = err);
    } else if (isReloadError(err) && typeof err.code === 'string' && STATUS_OF_CODE[err.code]) {
      statusCode = STATUS_OF_CODE[err.code]!;
      code = err.code;
      message = err.message;
    } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode < 500) {
      statusCode = err.statusCode;
      code = err.validation ? 'BAD_REQUEST' : (err.code ?? 'BAD_REQUEST');
      message = err.message;
    } else {
      req.log.error({ err }, 'request failed');
    }
    return reply.code(statusCode).type('application/json').send({ statusCode, code, message });
  });

  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send({ statusCode: 404, code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` }),
  );

  // Virtual host: Host header, checked against SNI.
  app.addHook('onRequest', (req, _reply, done) => {
    const host = (req.hostname || '').toLowerCase().replace(/\.$/, '');
    const sni = (req.raw.socket as Partial<TLSSocket>).servername;
    if (typeof sni === 'string' && sni !== '' && sni.toLowerCase() !== host) {
      const msg = `TLS server name "${sni}" does not match Host "${host}"`;
      return done(new HttpError(421, 'MISDIRECTED_REQUEST', msg));
    }
    if (!hosted.has(host)) {
      return done(new HttpError(404, 'UNKNOWN_OVERLAY', `no overlay "${host}" is hosted here`));
    }
    req.overlay = host;
    done();
  });

  // ---- configuration (§11.2) ----------------------------------------------------------------
  app.get(
    CONFIG_PATH,
    { schema: { response: { 200: { type: 'string' }, '4xx': errorSchema } } },
    async (req, reply) => {
      const doc = await store.signedConfiguration(req.overlay);
      return reply.type(CONFIG_MEDIA_TYPE).header('cache-control', 'no-cache').send(doc);
    },
  );

  // ---- enrollment (§11.3) -------------------------------------------------------------------
  await app.register(async (scope) => {
    await scope.register(multipart, {
      limits: {
        fileSize: LIMITS.csr,
        files: 1,
        fields: 8,
        fieldSize: LIMITS.field,
        parts: 9,
        headerPairs: 50,
      },
      isPartAFile: (field, _type, fileName) => field === 'csr' || fileName !== undefined,
    });
    scope.post(
      ENROLLMENT_PATH,
      {
        schema: {
          headers: {
            type: 'object',
            properties: { accept: { type: 'string' }, 'content-type': { type: 'string' } },
          },
          response: { '4xx': errorSchema },
        },
      },
      async (req, reply) => enroll(store, req, reply),
    );
  });

  // ---- OAM ----------------------------------------------------------------------------------
  await app.register(async (oam) => {
    oam.addHook('onRequest', async (req) => {
      const cert = peerCertificate(req);
      if (!cert)
        throw new HttpError(
          401,
          'CLIENT_CERTIFICATE_REQUIRED',
          'an OAM client certificate is required',
        );
      const ca = await store.oamCa(req.overlay);
      const now = Date.now();
      const ok =
        cert.checkIssued(ca) &&
        cert.verify(ca.publicKey) &&
        !cert.ca &&
        Date.parse(cert.validFrom) <= now &&
        now <= Date.parse(cert.validTo);
      if (!ok) {
        throw new HttpError(
          403,
          'CLIENT_CERTIFICATE_REFUSED',
          `the client certificate was not issued by the OAM CA of ${req.overlay}`,
        );
      }
    });

    await oam.register(async (users) => {
      await users.register(formbody, { bodyLimit: LIMITS.body });
      await users.register(multipart, {
        attachFieldsToBody: 'keyValues',
        limits: { fileSize: LIMITS.field, files: 2, fields: 4, fieldSize: LIMITS.field, parts: 6 },
      });
      const userBody = {
        type: 'object',
        properties: { name: { type: 'string' }, password: { type: 'string' } },
        required: ['name', 'password'],
      } as const;
      users.get(
        '/type=Enrollment/Users',
        {
          schema: {
            response: {
              200: {
                type: 'object',
                properties: {
                  users: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        name: { type: 'string' },
                        createdAt: { type: 'string' },
                        nodeIds: { type: 'array', items: { type: 'string' } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
        async (req) => ({ users: await store.listUsers(req.overlay) }),
      );
      users.post<{ Body: { name: string; password: string } }>(
        '/type=Enrollment/Users',
        { schema: { body: userBody, response: { '4xx': errorSchema } } },
        async (req, reply) => {
          await store.addUser(req.overlay, String(req.body.name), String(req.body.password));
          return reply.code(201).send({ name: req.body.name });
        },
      );
      users.put<{ Params: { name: string }; Body: { password: string } }>(
        '/type=Enrollment/Users/:name',
        {
          schema: {
            params: nameParam,
            body: {
              type: 'object',
              properties: { password: { type: 'string' } },
              required: ['password'],
            },
            response: { '4xx': errorSchema },
          },
        },
        async (req) => {
          await store.setPassword(req.overlay, req.params.name, String(req.body.password));
          return { name: req.params.name };
        },
      );
      users.delete<{ Params: { name: string } }>(
        '/type=Enrollment/Users/:name',
        { schema: { params: nameParam, response: { '4xx': errorSchema } } },
        async (req, reply) => {
          await store.removeUser(req.overlay, req.params.name);
          return reply.code(204).send();
        },
      );
    });

    await oam.register((cfg, _opts, done) => {
      cfg.removeAllContentTypeParsers();
      cfg.addContentTypeParser(
        '*',
        { parseAs: 'string', bodyLimit: LIMITS.configuration },
        (_req, body, done) => done(null, body),
      );
      cfg.get(
        '/type=Configuration/NakedConfiguration',
        { schema: { response: { 200: { type: 'string' } } } },
        async (req, reply) =>
          reply.type(CONFIG_MEDIA_TYPE).send(await store.nakedConfiguration(req.overlay)),
      );
      cfg.put<{ Body: string }>(
        '/type=Configuration/NakedConfiguration',
        {
          schema: {
            body: { type: 'string' },
            response: {
              200: { type: 'object', properties: { sequence: { type: 'integer' } } },
              '4xx': errorSchema,
            },
          },
        },
        async (req) => {
          if (typeof req.body !== 'string' || req.body.length === 0) {
            throw new ConfigurationRuleError('xml', 'document', 'empty body', 400);
          }
          const parsed = await store.putNakedConfiguration(
            req.overlay,
            req.body,
            opts.validateConfiguration ? { validate: opts.validateConfiguration } : {},
          );
          return { sequence: parsed };
        },
      );
      done();
    });
  });

  return app;
}

/** Media-range check: does the Accept header list application/pkix-cert with q > 0? */
export function acceptsPkixCert(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((s) => s.trim().toLowerCase());
    if (type !== CERT_MEDIA_TYPE) return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

async function enroll(
  store: ProvisioningStore,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  // RFC 6940 §11.3: "The Accept header MUST contain the type application/pkix-cert".
  if (!acceptsPkixCert(req.headers.accept)) {
    throw new HttpError(406, 'NOT_ACCEPTABLE', `the Accept header must contain ${CERT_MEDIA_TYPE}`);
  }
  if (!req.isMultipart()) {
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'the request must be multipart/form-data (RFC 2388)',
    );
  }
  const fields: Record<string, string> = {};
  let csr: Uint8Array | undefined;
  for await (const part of req.parts()) {
    if (part.type === 'file') {
      const buf = await part.toBuffer();
      if (part.fieldname === 'csr') csr = buf;
    } else {
      if (part.valueTruncated)
        throw new HttpError(413, 'FIELD_TOO_LARGE', `form field ${part.fieldname} is too large`);
      if (typeof part.value === 'string') fields[part.fieldname] = part.value;
    }
  }
  try {
    const result = await store.enroll(req.overlay, {
      username: fields.username,
      password: fields.password,
      nodeids: fields.nodeids,
      csr,
    });
    req.log.info({ overlay: req.overlay, user: result.userName }, 'enrolled');
    return reply.code(200).type(CERT_MEDIA_TYPE).send(Buffer.from(result.certificate));
  } catch (e) {
    if (e instanceof EnrollmentError) {
      req.log.info({ overlay: req.overlay, token: e.token, why: e.message }, 'enrollment refused');
      return reply.code(403).type('text/plain').send(e.token);
    }
    throw e;
  }
}
