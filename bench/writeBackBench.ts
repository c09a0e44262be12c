/**
 * Write-back delay: how long after an Accept is made in Teams Partner Center has it. A burst of
 * 100 Accepts (16 callers) against the built server with the sync on, the loopback fake Partner
 * Center answering every request in 150 ms; the delay of each is from the click leaving the caller
 * to Partner Center applying its PATCH.
 */
import { referral } from '../test/fixtures/referrals';
import { FakeIdentity } from '../test/support/fakeIdentity';
import { FakePartnerCenter, syncSettings } from '../test/support/fakePartnerCenter';
import { admins, cardText } from '../test/support/liveWorld';
import { startLiveApp } from '../test/support/liveApp';
import { eventually } from '../test/support/processes';
import { acceptForm, channel, execute } from '../test/support/teamsActivities';
import { latency, pool, progress, round, type Latency } from './stats';

const ACCEPTS = 100;
const CALLERS = 16;
export const PARTNER_CENTER_LATENCY_MS = 150;

export interface WriteBackFigures {
  accepts: number;
  partnerCenterLatencyMs: number;
  /** Click → Partner Center updated, per Accept. */
  delay: Latency;
  /** First click → last Accept in Partner Center. */
  allWrittenMs: number;
  /** PATCHes Partner Center applied (one per Accept: nothing doubled). */
  patches: number;
  failedClicks: number;
}

export async function benchWriteBack(storage: string): Promise<WriteBackFigures> {
  const identity = await new FakeIdentity().start();
  const partnerCenter = await new FakePartnerCenter(identity).start();
  const [dana] = admins(1);
  const place = channel('19:bench-write-back@thread.tacv2');
  progress(`write-back: ${ACCEPTS} referrals in the fake Partner Center, pulled by the server`);
  const ids = Array.from({ length: ACCEPTS }, (_, i) => partnerCenter.create(referral({ name: `Write-back lead ${i}` })).id as string);
  const server = await startLiveApp({
    storage,
    env: { ...syncSettings(identity, partnerCenter, '', identity.issueRefreshToken()), PARTNER_CENTER_WEBHOOK_CA: '', LEAD_ADMIN_IDS: dana!.aadObjectId },
  });
  try {
    await server.install([place], dana!);
    await eventually('the pulled leads', async () => (await server.storedLeadIds()).length >= ACCEPTS, 60_000, 200);
    await server.settled();

    partnerCenter.latencyMs = PARTNER_CENTER_LATENCY_MS;
    progress(`write-back: ${ACCEPTS} Accepts by ${CALLERS} callers, Partner Center answering in ${PARTNER_CENTER_LATENCY_MS} ms`);
    const clickedAt = new Map<string, number>();
    let failedClicks = 0;
    const started = Date.now();
    await pool(ids, CALLERS, async (id) => {
      clickedAt.set(id, Date.now());
      const answer = await server.teams(execute(place, dana!, 'lead.accept', acceptForm(id), server.connector.url));
      if (answer.body?.statusCode !== 200 || !cardText(answer.body).includes(`Deal ${id}`)) failedClicks++;
    });
    await eventually('every Accept in Partner Center', async () => ids.every((id) => partnerCenter.referral(id).status === 'Active'), 120_000, 20);
    const applied = new Map(partnerCenter.patches().map((p) => [p.path.split('/').pop() ?? '', p.at]));
    const delays = ids.map((id) => (applied.get(id) ?? Date.now()) - (clickedAt.get(id) ?? started));
    return {
      accepts: ACCEPTS,
      partnerCenterLatencyMs: PARTNER_CENTER_LATENCY_MS,
      delay: latency(delays),
      allWrittenMs: round(Math.max(...ids.map((id) => applied.get(id) ?? Date.now())) - started, 0),
      patches: partnerCenter.patches().length,
      failedClicks,
    };
  } finally {
    await server.stop();
    await partnerCenter.stop();
    await identity.stop();
  }
}
