/**
 * The `reload-node` command line (commander): `enroll`, `run`, `store`, `fetch`, `status`.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { LinkAddress } from '@reload/link';
import { ReloadError, isReloadError } from '@reload/wire';
import { type ControlRequest, controlRequest } from './control.js';
import { dataPaths } from './data-dir.js';
import { formatFetch, formatStatus, formatStore } from './format.js';
import type { FetchReport, NodeLogger, NodeStatus, StoreReport } from './node.js';

/** Parses `HOST:PORT` / `[V6]:PORT`. */
export function parseHostPort(s: string): LinkAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535))
    throw new InvalidArgumentError(`expected HOST:PORT, got "${s}"`);
  return { host: m[1] ?? m[2], port };
}

function collectHostPorts(v: string, prev: LinkAddress[] | undefined): LinkAddress[] {
  return [
    ...(prev ?? []),
    ...v
      .split(',')
      .filter((x) => x.trim() !== '')
      .map(parseHostPort),
  ];
}

function intArg(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer ${min}..${max}`);
    return n;
  };
}

/** Standard output/error sinks (replaceable in tests). */
export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** The logger of `run`: pino, pretty on a terminal, JSON lines otherwise. */
export async function createLogger(level: string): Promise<NodeLogger> {
  const { pino } = await import('pino');
  let logger: NodeLogger;
  if (process.stdout.isTTY) {
    const { default: pretty } = await import('pino-pretty');
    logger = pino({ level }, pretty({ colorize: true, destination: 1 }));
  } else logger = pino({ level });
  return logger;
}

/** The control-socket request `store` sends (its options, less `--data` and `--json`). */
type StoreRequest = Extract<ControlRequest, { op: 'store' }>;

/** Builds the commander program. */
export function buildProgram(
  io: CliIo = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): Command {
  const program = new Command('reload-node')
    .description('RELOAD (RFC 6940) peer: enroll, run, store, fetch, status')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  program
    .command('enroll')
    .description(
      'discover the overlay configuration, enroll with user name and password, write the data directory',
    )
    .option('--overlay <name>', 'overlay name (found by DNS SRV _reload-config._tcp.<name>)')
    .option('--dns <host:port>', 'DNS server to ask (default: the system resolvers)')
    .option('--config-url <url>', 'configuration URL given out of band (skips DNS SRV)')
    .option('--ca-file <pem>', 'CA certificate(s) of the configuration/enrollment HTTPS servers')
    .requiredOption('--username <user>', 'enrollment user name')
    .requiredOption('--password <password>', 'enrollment password')
    .requiredOption('--data <dir>', 'data directory to create')
    .addOption(new Option('--key-type <type>', 'key type').choices(['rsa', 'ecdsa']).default('rsa'))
    .option('--nodeids <n>', 'Node-IDs to request; the node uses the last one', intArg(1, 64), 1)
    .option('--force', 'replace an already enrolled data directory')
    .option('--json', 'print the result as JSON')
    .action(
      async (o: {
        overlay?: string;
        dns?: string;
        configUrl?: string;
        caFile?: string;
        username: string;
        password: string;
        data: string;
        keyType: 'rsa' | 'ecdsa';
        nodeids: number;
        force?: boolean;
        json?: boolean;
      }) => {
        if (!o.overlay && !o.configUrl)
          throw new ReloadError('BAD_OPTION', 'give --overlay NAME or --config-url URL');
        // Loaded here: store/fetch/status start faster without the peer's modules.
        const { enroll } = await import('./enroll.js');
        const r = await enroll({
          ...(o.overlay !== undefined ? { overlay: o.overlay } : {}),
          ...(o.dns !== undefined ? { dnsServer: o.dns } : {}),
          ...(o.configUrl !== undefined ? { configUrl: o.configUrl } : {}),
          ...(o.caFile !== undefined ? { caFile: o.caFile } : {}),
          username: o.username,
          password: o.password,
          dataDir: o.data,
          keyType: o.keyType === 'ecdsa' ? 'ecdsa-p256' : 'rsa2048',
          nodeIds: o.nodeids,
          force: o.force === true,
        });
        if (o.json) {
          io.out(
            `${JSON.stringify({ ...r.info, dataDir: r.paths.dir, sequence: r.sequence, notAfter: r.notAfter.toISOString() })}\n`,
          );
          return;
        }
        io.out(
          [
            `enrolled ${r.info.certificateUsername} in overlay ${r.info.overlay} (configuration sequence ${r.sequence})`,
            `  Node-ID      ${r.info.nodeId}`,
            `  certificate  ${r.paths.certificate} (valid until ${r.notAfter.toISOString()})`,
            `  key          ${r.paths.key} (mode 0600, ${r.info.keyType})`,
            `  start it:    reload-node run --data ${r.paths.dir}`,
            '',
          ].join('\n'),
        );
      },
    );

  program
    .command('run')
    .description('run the peer: listen, join (or start) the overlay, serve; Ctrl-C leaves')
    .requiredOption('--data <dir>', 'data directory made by enroll')
    .option('--listen <host:port>', 'listen address (port 0: any free port)', parseHostPort, {
      host: '127.0.0.1',
      port: 6084,
    })
    .option(
      '--bootstrap <host:port>',
      'bootstrap node (repeatable; default: the configuration bootstrap-node elements)',
      collectHostPorts,
    )
    .option('--create', 'start a new overlay when no bootstrap node answers')
    .option(
      '--refresh-interval <seconds>',
      'longest time between configuration re-fetches',
      intArg(5, 30 * 86400),
      3600,
    )
    .option('--log-level <level>', 'pino log level', 'info')
    .action(
      async (o: {
        data: string;
        listen: LinkAddress;
        bootstrap?: LinkAddress[];
        create?: boolean;
        refreshInterval: number;
        logLevel: string;
      }) => {
        const logger = await createLogger(o.logLevel);
        const { startNode } = await import('./node.js');
        const exit = (code: number): void => {
          setTimeout(() => process.exit(code), 50);
        };
        const node = await startNode({
          dataDir: o.data,
          listen: o.listen,
          ...(o.bootstrap ? { bootstrap: o.bootstrap } : {}),
          create: o.create === true,
          logger,
          refreshIntervalMs: o.refreshInterval * 1000,
          onLeft: () => exit(0),
        });
        let signalled = false;
        const onSignal = (sig: string): void => {
          if (signalled) {
            logger.warn({ signal: sig }, 'second signal: exiting without waiting');
            process.exit(1);
          }
          signalled = true;
          logger.info({ signal: sig }, 'shutting down');
          node.stop().then(
            () => exit(0),
            () => exit(1),
          );
        };
        process.on('SIGINT', () => onSignal('SIGINT'));
        process.on('SIGTERM', () => onSignal('SIGTERM'));
        // Runs until a signal or a `leave` request.
        await new Promise<void>(() => undefined);
      },
    );

  program
    .command('store')
    .description('store a value through the running node (signed with its identity)')
    .requiredOption('--data <dir>', 'data directory of the running node')
    .requiredOption('--kind <kind>', 'Kind name (e.g. CERTIFICATE_BY_USER) or numeric Kind-ID')
    .requiredOption(
      '--resource <name>',
      'Resource Name (text; node:self, node:HEX, user:self for Node-ID / user-name resources)',
    )
    .requiredOption('--value <text>', 'the value (UTF-8 text)')
    .option('--key <key>', 'dictionary key (DICTIONARY Kinds; node:self for the Node-ID)')
    .option('--index <i>', 'array index (ARRAY Kinds; default: append)', intArg(0, 0xffffffff))
    .option('--lifetime <seconds>', 'lifetime of the value', intArg(1, 0xffffffff))
    .option('--json', 'print the result as JSON')
    .action(async (o: Omit<StoreRequest, 'op'> & { data: string; json?: boolean }) => {
      if (o.key !== undefined && o.index !== undefined)
        throw new ReloadError('BAD_OPTION', 'give --key or --index, not both');
      const r = (await controlRequest(dataPaths(o.data).controlSocket, {
        op: 'store',
        kind: o.kind,
        resource: o.resource,
        value: o.value,
        ...(o.key !== undefined ? { key: o.key } : {}),
        ...(o.index !== undefined ? { index: o.index } : {}),
        ...(o.lifetime !== undefined ? { lifetime: o.lifetime } : {}),
      })) as StoreReport;
      io.out(o.json ? `${JSON.stringify(r)}\n` : formatStore(r));
    });

  program
    .command('fetch')
    .description('fetch the values of a Kind at a resource through the running node')
    .requiredOption('--data <dir>', 'data directory of the running node')
    .requiredOption('--kind <kind>', 'Kind name or numeric Kind-ID')
    .requiredOption('--resource <name>', 'Resource Name (as for store)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { data: string; kind: string; resource: string; json?: boolean }) => {
      const r = (await controlRequest(dataPaths(o.data).controlSocket, {
        op: 'fetch',
        kind: o.kind,
        resource: o.resource,
      })) as FetchReport;
      io.out(o.json ? `${JSON.stringify(r)}\n` : formatFetch(r));
    });

  program
    .command('status')
    .description('show the running node: Node-ID, ring neighbours, fingers, links, storage')
    .requiredOption('--data <dir>', 'data directory of the running node')
    .option('--json', 'print the status as JSON')
    .action(async (o: { data: string; json?: boolean }) => {
      const s = (await controlRequest(dataPaths(o.data).controlSocket, {
        op: 'status',
      })) as NodeStatus;
      io.out(o.json ? `${JSON.stringify(s)}\n` : formatStatus(s));
    });

  program
    .command('leave')
    .description('make the running node leave the overlay and exit')
    .requiredOption('--data <dir>', 'data directory of the running node')
    .action(async (o: { data: string }) => {
      await controlRequest(dataPaths(o.data).controlSocket, { op: 'leave' });
      io.out('leaving\n');
    });

  return program;
}

/** Runs the CLI with `argv` (process.argv form); returns the exit code. */
export async function main(argv: string[], io?: CliIo): Promise<number> {
  const program = buildProgram(io);
  const err = io?.err ?? ((s: string) => process.stderr.write(s));
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    const x = e as { code?: string; exitCode?: number; message?: string };
    if (typeof x.code === 'string' && x.code.startsWith('commander.')) return x.exitCode ?? 1;
    const cmd = argv[2] && !argv[2].startsWith('-') ? ` ${argv[2]}` : '';
    err(`reload-node${cmd}: ${isReloadError(e) ? e.message : String(x.message ?? e)}\n`);
    return 1;
  }
}
