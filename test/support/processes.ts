/**
 * Real processes for the reliability suite and the bench: Azurite's Table service on its own
 * (so the app can be killed while storage lives on, or storage stopped while the app runs), and
 * the built app (`dist/index.js`, as `npm start` runs it) with its logs captured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import path from 'node:path';
import { azuriteConnectionString } from '../../services/storage/embeddedAzurite';

export const ROOT = path.resolve(__dirname, '..', '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '.');
const AZURITE_TABLE = require.resolve('azurite/dist/src/table/main.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves when something accepts TCP connections on the port (or rejects after `timeoutMs`). */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Polls `check` until it returns a value (not undefined/false), or throws after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export interface AzuriteProcess {
  port: number;
  connectionString: string;
  /** The Table endpoint of its account (https with `tls`: what AZURE_TABLES_ENDPOINT names). */
  endpoint: string;
  /** Its process id now (0 while stopped). */
  readonly pid: number;
  /** Graceful stop (SIGINT, the signal Azurite handles): it saves its data when it has a location. */
  stop(): Promise<void>;
  /** Starts it again on the same port and location. */
  restart(): Promise<void>;
}

/**
 * Azurite's Table service as its own process, in memory or on disk at `location`. With `tls` (PEM
 * files) it speaks https and checks Microsoft Entra ID bearer tokens (`--oauth basic`: their
 * audience, issuer and times, not their signature), as Azure Storage does for a managed identity.
 */
export async function startAzurite(options: { location?: string; tls?: { certFile: string; keyFile: string } } = {}): Promise<AzuriteProcess> {
  const port = await freePort();
  const args = [AZURITE_TABLE, '--tableHost', '127.0.0.1', '--tablePort', String(port), '--skipApiVersionCheck', '--disableTelemetry', '--silent'];
  args.push(...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']));
  if (options.tls) args.push('--cert', options.tls.certFile, '--key', options.tls.keyFile, '--oauth', 'basic');
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(process.execPath, args, { stdio: 'ignore' });
    await waitForPort(port);
  };
  await launch();
  return {
    port,
    connectionString: azuriteConnectionString(`${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`),
    endpoint: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/devstoreaccount1`,
    get pid() {
      return child?.pid ?? 0;
    },
    async stop() {
      if (!child) return;
      const exited = exitOf(child);
      child.kill('SIGINT');
      await exited;
      child = undefined;
    },
    restart: launch,
  };
}

export interface AppProcess {
  url: string;
  pid: number;
  /** Every line the app wrote to stdout and stderr so far. */
  output: string[];
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: no chance to finish anything. */
  kill(): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the built app with these settings (and nothing from the caller's environment or .env). */
/** The flags `npm start` gives node (package.json's start script: `node <flags> dist/index.js`), so the app runs here as it runs there. */
export const START_FLAGS: string[] = (() => {
  const start = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  return start.replace(/^node\s+/, '').replace(/\s*dist\/index\.js\s*$/, '').split(/\s+/).filter(Boolean);
})();

export function spawnApp(env: Record<string, string>, options: { cwd?: string; nodeArgs?: string[] } = {}): { child: ChildProcess; output: string[]; exited: AppProcess['exited'] } {
  // nodeArgs: flags for node itself (the bench profiles with --cpu-prof, which NODE_OPTIONS refuses).
  const child = spawn(process.execPath, [...START_FLAGS, ...(options.nodeArgs ?? []), path.join(ROOT, 'dist', 'index.js')], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      output.push(...lines);
    });
  }
  return { child, output, exited: exitOf(child) };
}

/** Starts the built app and resolves once it listens (its "listening" log line gives the port). */
export async function startApp(env: Record<string, string>, options: { cwd?: string; timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<AppProcess> {
  const { child, output, exited } = spawnApp(env, options);
  const port = await Promise.race([
    eventually(
      'the app to listen',
      async () => {
        for (const line of output) {
          if (!line.includes('"listening"')) continue;
          return (JSON.parse(line) as { port: number }).port;
        }
        return undefined;
      },
      options.timeoutMs ?? 30_000,
      20,
    ),
    exited.then(({ code, signal }) => {
      throw new Error(`the app exited (${code ?? signal}) before listening:\n${output.join('\n')}`);
    }),
  ]);
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    output,
    exited,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A process's resident memory now and at its peak, in MiB (/proc/<pid>/status). */
export function processMemory(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rssMiB: Math.round(kib('VmRSS') / 1024), peakMiB: Math.round(kib('VmHWM') / 1024) };
}
