/**
 * `npm run playground`: the bot with sample leads, the Partner Center sync on against a local fake
 * Partner Center (and its identity provider), and the Microsoft 365 Agents Playground (a local
 * Teams client) pointed at it. The playground user is a partner admin who gets the team's new leads
 * in the personal chat.
 *
 * Storage is in memory: every run is the same demo (the same sample leads, no conversations of an
 * earlier run to post into). The referral that "arrives" does so once the chat of this run is open.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start } from '../main';
import { loadConfig } from '../services/app/config';
import { createLogger } from '../services/logger';
import { FakeIdentity } from '../test/support/fakeIdentity';
import { FakePartnerCenter, syncSettings } from '../test/support/fakePartnerCenter';
import { arrivingReferral, demoReferrals } from './demoSeed';

/** The Agents Playground's default user (Alex Wilber). */
export const PLAYGROUND_USER_ID = '00000000-0000-0000-0000-0000000000020';
const PLAYGROUND_PORT = 56150;

async function main(): Promise<void> {
  // A fake Partner Center on this machine (plain http: loopback only), with the sample referrals in it.
  const identity = await new FakeIdentity().start();
  const partnerCenter = await new FakePartnerCenter(identity).start();
  const now = new Date();
  for (const referral of demoReferrals(now)) partnerCenter.create(referral);

  const config = loadConfig({
    ...process.env,
    ...syncSettings(identity, partnerCenter, '', identity.issueRefreshToken()),
    PARTNER_CENTER_WEBHOOK_CA: '',
    PARTNER_CENTER_POLL_SECONDS: '5',
  });
  const log = createLogger(config.LOG_LEVEL);
  partnerCenter.onPatched = (referral) =>
    log.info({ referral: referral.id, status: referral.status, substatus: referral.substatus }, `playground: Partner Center now has "${referral.name}" as ${referral.status}/${referral.substatus} (written back from Teams)`);
  const running = await start(config, log, { inMemory: true });
  const { app } = running;
  // The playground user is a partner admin who gets the team's new leads in their personal chat
  // (no install subscribes by itself); in a channel, the welcome asks them where new leads go.
  await app.roles.grant(PLAYGROUND_USER_ID, 'partnerAdmin', 'playground', 'Alex Wilber');
  await app.roles.setStream(PLAYGROUND_USER_ID, true, 'playground', 'Alex Wilber');
  log.info('playground: sample leads come from the local Partner Center; type "marketplace", "qualified", "find azure" or "sync" in the chat; the search message extension is + → Search Command with command id findLead, parameter query');

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

  // Once the chat of this run is open (subscribed: the playground user has the stream), a new referral appears in Partner Center and arrives as a card.
  const arrival = setInterval(async () => {
    const subscribed = await app.conversations.subscribed().catch(() => []);
    if (subscribed.length === 0) return;
    clearInterval(arrival);
    partnerCenter.create(arrivingReferral(app.now()));
    app.pollPartnerCenter();
    log.info('playground: a new referral was created in Partner Center; its card arrives in the chat');
  }, 1000);

  const stop = async () => {
    clearInterval(arrival);
    playground.kill('SIGTERM');
    await running.stop();
    await partnerCenter.stop();
    await identity.stop();
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
