/** Starts the real server (restify + the product) over a test Azurite on a free port. */
import type * as Main from '../../main';
import type { Running } from '../../main';
import { silentLogger } from '../../services/logger';
import { testConfig } from './settings';
import type { TestStorage } from './storage';

export async function startServer(storage: TestStorage, env: Record<string, string> = {}, now?: () => Date): Promise<Running & { url: string }> {
  const prefix = `s${process.pid}x${Math.floor(Math.random() * 1e9)}`;
  const config = testConfig({ AZURE_TABLES_CONNECTION_STRING: storage.connectionString, TABLE_PREFIX: prefix, ...env });
  // Loaded on first use: the reliability suite uses only the request helpers and runs the app as its own process.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { start } = require('../../main') as typeof Main;
  const running = await start(config, silentLogger, { now });
  return { ...running, url: `http://127.0.0.1:${running.port}` };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
