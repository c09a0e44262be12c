/**
 * `npm run bench`: one command that starts its own Azurite (in memory), the real server (the
 * built app as its own process) and a loopback fake Bot Connector, and measures side by side:
 * Accept through /api/messages against the storage floor, ingest, delivery, a scheduler pass over
 * 10,000 and 1,000 stored leads, insights and search over them, memory and start-up. Prints a table (stdout; progress on stderr)
 * and writes bench/results.json. `npm run bench -- --profile` also CPU-profiles the server under
 * the Accept load and summarizes where the time went; `npm run bench -- --trace-only` counts only
 * the storage requests of a lead, an Accept and their bursts, `--accept-only` only the Accept runs
 * (no results file for either).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { referral } from '../test/fixtures/referrals';
import { startAzurite } from '../test/support/processes';
import { benchAccept } from './acceptBench';
import { cpuText } from './cpuMeter';
import { summarizeProfile } from './cpuProfile';
import { benchDelivery, benchIngest } from './flowBench';
import { heapText, profileText, roundTrips, table, traceText, writeResults, type Figures } from './report';
import { benchStoredLeads, insightsRead, schedulerPass, seedSchedulerLeads } from './schedulerBench';
import { checkSeedLayout } from './seedLeads';
import { benchStartup } from './startupBench';
import { progress, timed } from './stats';
import { traceRoundTrips } from './traceBench';
import { benchWriteBack } from './writeBackBench';
import { benchSearch } from './searchBench';

/** Referrals per POST in the second ingest run: a page, as a Partner Center poller would post it. */
const INGEST_BATCH = 25;

async function main(): Promise<void> {
  const began = performance.now();
  const profileDir = process.argv.includes('--profile') ? mkdtempSync(path.join(tmpdir(), 'bench-cpu-')) : undefined;
  progress('starting Azurite (its own process, in memory)');
  const azurite = await startAzurite();
  const storage = azurite.connectionString;
  try {
    if (process.argv.includes('--accept-only')) {
      // Only the Accept runs (with --profile, where their time goes; with --heap, what the heap holds after): two minutes, for work on the answer path.
      const heapSnapshotDir = process.argv.includes('--heap') ? mkdtempSync(path.join(tmpdir(), 'bench-heap-')) : undefined;
      const accept = await benchAccept(storage, { azuritePid: azurite.pid, nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, 'accept')}`] : undefined, heapSnapshotDir });
      console.log(JSON.stringify({ oneUser: accept.oneUser, floor: accept.floorOneCaller, ratio: accept.ratioP50, backToBack: accept.ratioBackToBackP50, users32: accept.users32, cpu: cpuText(accept.users32.cpu), floor32: accept.floor32, rssMiB: accept.serverRssMiB }, null, 1));
      if (accept.heap) console.log(heapText(accept.heap));
      const file = profileDir && readdirSync(path.join(profileDir, 'accept')).find((f) => f.endsWith('.cpuprofile'));
      if (file) console.log(profileText(summarizeProfile(path.join(profileDir!, 'accept', file), accept.windows, accept.accepts), `the Accept runs (${accept.accepts} Accepts)`, 'Accept'));
      return;
    }
    if (process.argv.includes('--trace-only')) {
      // Only the storage requests of one lead, one Accept and the bursts: a minute, for work on the storage path.
      const trace = await traceRoundTrips(storage, azurite.port);
      console.log(traceText(trace));
      return;
    }
    // Start-up first, while the machine is quiet and Azurite holds nothing.
    const startup = await benchStartup(storage);
    const profiled = (phase: string) => (profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, phase)}`] : undefined);
    const accept = await benchAccept(storage, { azuritePid: azurite.pid, nodeArgs: profiled('accept') });
    const ingest = await benchIngest(storage, { azuritePid: azurite.pid, nodeArgs: profiled('ingest') });
    const ingestBatched = await benchIngest(storage, { azuritePid: azurite.pid, perPost: INGEST_BATCH });
    const delivery = await benchDelivery(storage);
    const writeBack = await benchWriteBack(storage);

    // T0: the stored leads' due times are laid out around it (see schedulerBench.ts).
    const t0 = Date.now();
    progress('stored leads: writing 10,000 and, under another prefix, 1,000 (50 of each due at T0 + 30 min)');
    await checkSeedLayout(storage, referral({ name: 'Layout check' }), new Date(t0));
    const seeding = await timed(() => seedSchedulerLeads(storage, 10_000, t0, 'bs10k'));
    const small = await seedSchedulerLeads(storage, 1_000, t0, 'bs1k');
    const stored = await benchStoredLeads(storage, seeding.value, Math.round(seeding.ms / 1000));
    progress('scheduler: a pass over 10,000 stored leads, then over 1,000');
    const stored10k = await schedulerPass(storage, seeding.value.prefix, 10_000, t0);
    const stored1k = await schedulerPass(storage, small.prefix, 1_000, t0);
    progress('insights: insights 90d over 10,000 stored leads, then over 1,000');
    const insights = { stored10k: await insightsRead(storage, seeding.value.prefix, 10_000, t0), stored1k: await insightsRead(storage, small.prefix, 1_000, t0) };

    progress('search: five queries over 10,000 stored leads, then over 1,000');
    const search = { stored10k: await benchSearch(storage, seeding.value.prefix, 10_000), stored1k: await benchSearch(storage, small.prefix, 1_000) };

    const trace = await traceRoundTrips(storage, azurite.port);
    const figures: Figures = { accept, ingest, ingestBatched, delivery, writeBack, stored, scheduler: { stored10k, stored1k }, insights, search, startup, trace };
    if (profileDir) {
      const profileOf = (phase: string) => {
        const file = readdirSync(path.join(profileDir, phase)).find((f) => f.endsWith('.cpuprofile'));
        return file ? path.join(profileDir, phase, file) : undefined;
      };
      const acceptProfile = profileOf('accept');
      const ingestProfile = profileOf('ingest');
      figures.profile = {
        accept: acceptProfile ? summarizeProfile(acceptProfile, accept.windows, accept.accepts) : undefined,
        ingest: ingestProfile ? summarizeProfile(ingestProfile, [ingest.window], ingest.leads) : undefined,
      };
    }

    const seconds = Math.round((performance.now() - began) / 1000);
    const written = writeResults(figures, seconds);
    console.log(table(figures));
    console.log(`\n${roundTrips(figures)}`);
    if (figures.profile?.accept) console.log(`\n${profileText(figures.profile.accept, `the Accept runs (${accept.accepts} Accepts)`, 'Accept')}`);
    if (figures.profile?.ingest) console.log(`\n${profileText(figures.profile.ingest, `ingest (${ingest.leads} leads, until projected)`, 'lead')}`);
    progress(`done in ${seconds} s; figures in ${path.relative(process.cwd(), written)}${profileDir ? `; CPU profile in ${profileDir}` : ''}`);
  } finally {
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
