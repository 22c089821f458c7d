/**
 * The `reload-services` command line (commander): `provision` and `start`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { isReloadError } from '@reload/wire';
import { ProvisioningStore } from '@reload/provisioning';
import { parseHostPort, startServices } from './server.js';

function intArg(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer ${min}..${max}`);
    return n;
  };
}

function hostPortArg(v: string) {
  try {
    return parseHostPort(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** Builds the commander program. `out`/`err` receive stdout/stderr text (for tests). */
export function buildProgram(
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): Command {
  const program = new Command('reload-services')
    .description('RELOAD (RFC 6940) configuration, enrollment and OAM servers for many overlays')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  program
    .command('provision')
    .description(
      'create an overlay: overlay CA, configuration signer, default configuration, OAM CA and client certificate',
    )
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--overlay <name>', 'overlay name (a DNS name)')
    .requiredOption(
      '--subject <dn>',
      'subject of the overlay CA, e.g. "C=US, O=Example, CN=overlay.example.org"',
    )
    .option(
      '--port <port>',
      'HTTPS port clients will use (in enrollment-server and oamUrl)',
      intArg(1, 65535),
      8443,
    )
    .option('--key-algorithm <alg>', 'rsa2048 or ecdsa-p256', 'rsa2048')
    .action(
      async (o: {
        data: string;
        overlay: string;
        subject: string;
        port: number;
        keyAlgorithm: string;
      }) => {
        if (o.keyAlgorithm !== 'rsa2048' && o.keyAlgorithm !== 'ecdsa-p256') {
          throw new InvalidArgumentError('--key-algorithm must be rsa2048 or ecdsa-p256');
        }
        const store = await ProvisioningStore.open(o.data);
        try {
          const r = await store.provisionOverlay({
            overlay: o.overlay,
            subject: o.subject,
            port: o.port,
            keyAlgorithm: o.keyAlgorithm,
          });
          io.out(`${JSON.stringify(r, null, 2)}\n`);
        } finally {
          await store.close();
        }
      },
    );

  program
    .command('start')
    .description('serve every provisioned overlay over HTTPS (and DNS)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--listen <host:port>', 'HTTPS listen address', hostPortArg)
    .option('--dns <host:port>', 'DNS responder address (UDP)', hostPortArg)
    .option(
      '--public-port <port>',
      'HTTPS port clients use, when not the listening one',
      intArg(1, 65535),
    )
    .option('--public-address <ip>', 'address the overlay names resolve to in DNS')
    .option(
      '--signer-renewal <seconds>',
      'configuration signer renewal period (default 30 days)',
      intArg(1, 10 * 365 * 86400),
    )
    .option('--log-level <level>', 'pino log level', 'info')
    .action(
      async (o: {
        data: string;
        listen: { host: string; port: number };
        dns?: { host: string; port: number };
        publicPort?: number;
        publicAddress?: string;
        signerRenewal?: number;
        logLevel: string;
      }) => {
        const logger = pino({ level: o.logLevel }, pino.destination(2));
        const running = await startServices({
          dataDir: o.data,
          listen: o.listen,
          ...(o.dns ? { dns: o.dns } : {}),
          ...(o.publicPort ? { publicPort: o.publicPort } : {}),
          ...(o.publicAddress ? { publicAddress: o.publicAddress } : {}),
          ...(o.signerRenewal ? { signerRenewalMs: o.signerRenewal * 1000 } : {}),
          logger,
        });
        io.out(
          `${JSON.stringify({ event: 'ready', overlays: running.overlays, port: running.port, dnsPort: running.dnsPort ?? null })}\n`,
        );
        const stop = (): void => {
          void running.close().then(() => process.exit(0));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      },
    );
  return program;
}

/** Runs the CLI with `argv` (process.argv form); returns the exit code on failure. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      return err.exitCode ?? 1;
    }
    process.stderr.write(
      `reload-services: ${isReloadError(e) ? e.message : String(err.message ?? e)}\n`,
    );
    return 1;
  }
}
