/**
 * `npm run playground`: the bot on embedded storage with sample leads, and the Microsoft 365
 * Agents Playground (a local Teams client) pointed at it. The playground user is a partner admin.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start } from '../bot/main';
import { loadConfig } from '../services/app/config';
import { createLogger } from '../services/logger';
import { arrivingReferral, demoReferrals } from './demoSeed';

/** The Agents Playground's default user (Alex Wilber). */
export const PLAYGROUND_USER_ID = '00000000-0000-0000-0000-0000000000020';
const PLAYGROUND_PORT = 56150;

async function main(): Promise<void> {
  const config = loadConfig({ DATA_DIR: path.join('.data', 'playground'), ...process.env });
  const log = createLogger(config.LOG_LEVEL);
  const running = await start(config, log);
  const { app } = running;

  await app.roles.grant(PLAYGROUND_USER_ID, 'partnerAdmin', 'playground');
  const now = app.now();
  const { referrals, acceptId, wonId } = demoReferrals(now);
  const results = await app.ingest(referrals);
  if (results.some((r) => !r.duplicate)) {
    const seller = { kind: 'user' as const, id: 'demo-seller', name: 'Diego Siciliani', canManage: true };
    const deal = { name: 'Tailspin Toys — Dynamics 365 Sales', value: 95000, currency: 'USD', purchaseDate: new Date(now.getTime() + 60 * 864e5).toISOString().slice(0, 10) };
    await app.act(acceptId, { kind: 'accept', deal, employees: [{ name: 'Diego Siciliani', email: 'diego@partner.example' }] }, seller);
    await app.act(wonId, { kind: 'accept', deal: { ...deal, name: 'Woodgrove Fabric pilot', currency: 'CHF', value: 250000 } }, seller);
    await app.act(wonId, { kind: 'markWon' }, seller);
  }
  log.info({ leads: referrals.length }, 'playground: sample leads ready; type "marketplace" or "qualified" in the chat');

  // On a machine without a desktop the playground calls xdg-open and crashes if it is missing.
  const shim = mkdtempSync(path.join(tmpdir(), 'playground-'));
  writeFileSync(path.join(shim, 'xdg-open'), '#!/bin/sh\nexit 0\n');
  chmodSync(path.join(shim, 'xdg-open'), 0o755);
  const bin = path.join(process.cwd(), 'node_modules', '.bin', 'agentsplayground');
  const playground = spawn(bin, ['start', '-e', `http://localhost:${running.port}/api/messages`, '-c', 'msteams', '-p', String(PLAYGROUND_PORT), '--disable-telemetry'], {
    stdio: 'inherit',
    env: { ...process.env, PATH: `${shim}${path.delimiter}${process.env.PATH ?? ''}` },
  });
  log.info(`playground: open http://localhost:${PLAYGROUND_PORT} in a browser`);

  // Once the chat is open (the bot subscribed it), a new lead arrives so its card can be seen.
  const arrival = setInterval(async () => {
    const subscribed = await app.conversations.subscribed().catch(() => []);
    if (subscribed.length === 0) return;
    clearInterval(arrival);
    await app.ingest([arrivingReferral(app.now())]);
    log.info('playground: a new lead just arrived in the chat');
  }, 2000);

  const stop = async () => {
    clearInterval(arrival);
    playground.kill('SIGTERM');
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  playground.on('exit', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`playground failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
