/**
 * Decisions out, across a crash: the app is killed with SIGKILL while Accepts made in Teams are
 * on their way to Partner Center (some PATCHes in flight, some only queued). After the restart,
 * every referral is Active/Accepted in Partner Center, each changed by exactly one PATCH: a
 * write-back the crash cut short after Partner Center applied it finds nothing left to send.
 */
import { referral } from '../fixtures/referrals';
import { FakeIdentity } from '../support/fakeIdentity';
import { admins, cardText, startLiveWorld, type LiveWorld } from '../support/liveWorld';
import { FakePartnerCenter, syncSettings } from '../support/fakePartnerCenter';
import { eventually } from '../support/processes';
import { acceptForm, execute } from '../support/teamsActivities';
import { sharedPki } from '../support/testPki';

const LEADS = 20;
const [dana] = admins(1);

describe('the app is killed between "changed in Teams" and "written back"', () => {
  let world: LiveWorld;
  let identity: FakeIdentity;
  let partnerCenter: FakePartnerCenter;

  beforeAll(async () => {
    const pki = await sharedPki();
    identity = await new FakeIdentity().start(pki.tls);
    partnerCenter = await new FakePartnerCenter(identity).start();
    world = await startLiveWorld({
      env: {
        ...syncSettings(identity, partnerCenter, pki.rootFile, identity.issueRefreshToken()),
        PARTNER_CENTER_POLL_SECONDS: '1',
        LEAD_ADMIN_IDS: dana!.aadObjectId,
        // The app trusts the identity provider's test CA as a deployment trusts its own.
        NODE_EXTRA_CA_CERTS: pki.rootFile,
      },
    });
  });
  afterAll(async () => {
    await world.close();
    await partnerCenter.stop();
    await identity.stop();
  });

  it('writes every Accept back after the restart, each with exactly one successful PATCH', async () => {
    const ids = Array.from({ length: LEADS }, (_, i) => partnerCenter.create(referral({ name: `Crash write-back ${i}` })).id as string);
    const [place] = world.places;
    await eventually('the polled leads to be stored', async () => (await world.storedLeadIds()).filter((id) => ids.includes(id)).length === LEADS, 30_000);
    await eventually('their cards to be posted', async () => world.connector.posts().filter((p) => cardText(p.activity).includes('Crash write-back')).length >= 1, 30_000);

    // Partner Center answers slowly: the write-backs are in flight when the app dies.
    partnerCenter.latencyMs = 400;
    for (const id of ids) {
      const answer = await world.teams(execute(place!, dana!, 'lead.accept', acceptForm(id), world.connector.url));
      expect(answer.body).toMatchObject({ statusCode: 200 });
    }
    await eventually('a first write-back to reach Partner Center', async () => partnerCenter.requests.some((r) => r.method === 'PATCH'), 30_000, 10);
    await world.app.kill();
    const before = partnerCenter.patches().length;
    expect(before).toBeLessThan(LEADS);

    partnerCenter.latencyMs = 0;
    await world.restartApp();
    await eventually('every referral to be accepted in Partner Center', async () => ids.every((id) => partnerCenter.referral(id).status === 'Active'), 60_000, 200);
    for (const id of ids) {
      expect(partnerCenter.patches(id)).toHaveLength(1);
      expect(partnerCenter.referral(id)).toMatchObject({ substatus: 'Accepted', details: { dealValue: 5000 } });
    }
    // And nothing is left waiting.
    await eventually('the write-back queue to empty', async () => {
      const status = await fetch(`${world.app.url}/api/partner-center/status`, { headers: { authorization: `Bearer ${world.env.LEADS_API_KEY}` } });
      return ((await status.json()) as { waiting: number }).waiting === 0;
    }, 60_000, 200);
  });
});
