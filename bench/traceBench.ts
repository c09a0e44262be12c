/**
 * What the server asks of storage for one ingested lead and for one Accept: every request through
 * a recording proxy, split into those made while the HTTP request was open and those made after
 * (projection, sending), until the server is idle again. Not timed.
 */
import { performance } from 'node:perf_hooks';
import { referral } from '../test/fixtures/referrals';
import { acceptForm, channel, execute } from '../test/support/teamsActivities';
import { admins } from '../test/support/liveWorld';
import { startLiveApp } from '../test/support/liveApp';
import { progress, sleep } from './stats';
import { StorageTrace } from './storageTrace';

export interface RoundTrips {
  during: string[];
  after: string[];
}

export interface TraceFigures {
  ingest: RoundTrips;
  accept: RoundTrips;
  /** Requests an idle server makes on its own in 3 s (the sender's and the projector's timers). */
  idleIn3s: string[];
}

export async function traceRoundTrips(storage: string, azuritePort: number): Promise<TraceFigures> {
  progress('trace: storage requests of one ingested lead and of one Accept (through a recording proxy)');
  const user = admins(1)[0]!;
  const prefix = `btrace${process.pid}`;
  const trace = await new StorageTrace(azuritePort, prefix).start();
  const server = await startLiveApp({ storage, appStorage: trace.connectionString, prefix, env: { LEAD_ADMIN_IDS: user.aadObjectId } });
  try {
    const place = channel('19:bench-trace@thread.tacv2');
    await server.install([place], user);
    await server.settled();
    // One lead first, so that the traced one meets warm code and an existing partition layout.
    await server.ingest(referral({ name: 'Trace warm-up' }));
    await server.settled();
    await sleep(1200);

    const idleFrom = performance.now();
    await sleep(3000);
    const idleIn3s = trace.between(idleFrom, performance.now());

    const input = referral({ name: 'Traced lead' });
    const ingest = await observe(trace, () => server.ingest(input), () => server.settled());
    const card = server.connector.posts().find((p) => JSON.stringify(p.activity).includes(`"leadId":"${input.id}"`));
    const data = acceptForm(input.id, 'Traced deal');
    const accept = await observe(
      trace,
      () => server.teams(execute(place, user, 'lead.accept', data, server.connector.url, { replyToId: card?.activityId })),
      () => server.settled(),
    );
    return { ingest, accept, idleIn3s };
  } finally {
    await server.stop();
    await trace.stop();
  }
}

async function observe(trace: StorageTrace, request: () => Promise<unknown>, settle: () => Promise<void>): Promise<RoundTrips> {
  const from = performance.now();
  await request();
  const answered = performance.now();
  await settle();
  await sleep(300);
  return { during: trace.between(from, answered), after: trace.between(answered, performance.now()) };
}
