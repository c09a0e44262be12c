import type { CardAttachment } from '../../cards';
import { seen, titles } from '../cards/seen';
import { referral } from '../fixtures/referrals';
import { ingestReferrals } from '../../services/partnerCenter/referrals/intake';
import { conversationKey } from '../../services/storage/conversationStore';
import { botHarnesses, cardOf, place, SERVICE_URL } from '../support/botHarness';
import { USER_ID } from '../support/settings';
import { invokeWithStorageDown } from '../support/storageDown';
import { RecordingGateway } from '../support/recordingGateway';
import { dana, execute, installUpdate, pat, personal, vic } from '../support/teamsActivities';

const harnessOf = botHarnesses();
/** Vic is a Lead viewer here: reads every lead, changes none (without a role: whoSeesLeads.test.ts). */
const harness = (options: Parameters<typeof harnessOf>[0] = {}) => harnessOf({ ...options, env: { LEAD_VIEWER_IDS: USER_ID, ...options.env } });

const deal = { dealName: 'Contoso rooms', dealValue: '180000', currency: 'USD', purchaseDate: '2027-03-31', notes: 'Design + rollout' };

describe('accepting a lead on its card', () => {
  it('opens the Accept form with the deal name prefilled and every input labelled', async () => {
    const h = await harness();
    const { status, card } = await h.click(dana, 'lead.acceptForm', { leadId: h.leadId, revision: 1 });
    expect(status).toBe(200);
    const inputs = seen(card as CardAttachment).inputs;
    expect(inputs.map((i) => i.id)).toEqual(expect.arrayContaining(['dealName', 'dealValue', 'currency', 'purchaseDate', 'notes', 'crmId', 'campaignId', 'contactName']));
    expect(inputs.find((i) => i.id === 'dealName')?.value).toBe('Fabrikam cloud migration');
    expect(inputs.every((i) => i.label)).toBe(true);
  });

  it('shows the form again with inline messages and the entered values when input is invalid, storing nothing', async () => {
    const h = await harness();
    const { card } = await h.click(dana, 'lead.accept', { leadId: h.leadId, revision: 1, ...deal, dealValue: '', purchaseDate: 'next spring' });
    const view = seen(card as CardAttachment);
    expect(view.all).toContain('Enter the estimated value as a number');
    expect(view.all).toContain('Enter the estimated purchase date');
    expect(view.inputs.find((i) => i.id === 'dealName')?.value).toBe('Contoso rooms');
    expect((await h.app.leads.get(h.leadId))?.lead.stage).toBe('Received');
  });

  it('accepts with valid input: the card shows the deal and the Accepted buttons', async () => {
    const h = await harness();
    const { card } = await h.click(dana, 'lead.accept', { leadId: h.leadId, revision: 1, ...deal, contactName: 'Sam Seller', contactEmail: 'sam@partner.example' });
    expect(titles(card as CardAttachment)).toEqual(expect.arrayContaining(['Edit', 'Add employees', 'Won', 'Lost']));
    expect(titles(card as CardAttachment)).not.toContain('Accept');
    expect(seen(card as CardAttachment).all).toContain('Contoso rooms');
    expect(seen(card as CardAttachment).all).toContain('Sam Seller');
    const stored = await h.app.leads.get(h.leadId);
    expect(stored?.lead).toMatchObject({ stage: 'Accepted', deal: { name: 'Contoso rooms', value: 180000 }, lastAction: { by: { name: 'Dana Admin' } } });
  });

  it('answers a retried Accept (Teams retries invokes) with the same card and one audit event', async () => {
    const h = await harness();
    const data = { leadId: h.leadId, revision: 1, ...deal };
    const first = await h.click(dana, 'lead.accept', data);
    const retry = await h.click(dana, 'lead.accept', data);
    expect(titles(retry.card as CardAttachment)).toEqual(titles(first.card as CardAttachment));
    expect((await h.app.leads.history(h.leadId)).filter((e) => e.type === 'accept')).toHaveLength(1);
  });

  it('tells the second admin who accepted first, without an error and without a second change', async () => {
    const h = await harness();
    await h.click(dana, 'lead.accept', { leadId: h.leadId, revision: 1, ...deal });
    const late = await h.click(pat, 'lead.accept', { leadId: h.leadId, revision: 1, ...deal, dealName: 'Other name' });
    expect(late.status).toBe(200);
    expect(seen(late.card as CardAttachment).all).toMatch(/Already accepted by Dana Admin at/);
    expect((await h.app.leads.get(h.leadId))?.lead.deal?.name).toBe('Contoso rooms');
    const form = await h.click(pat, 'lead.acceptForm', { leadId: h.leadId, revision: 1 });
    expect(seen(form.card as CardAttachment).all).toMatch(/Already accepted by Dana Admin/);
  });

  it('refuses someone who is not an admin, kindly, and changes nothing', async () => {
    const h = await harness();
    const { card } = await h.click(vic, 'lead.acceptForm', { leadId: h.leadId, revision: 1 });
    expect(seen(card as CardAttachment).all).toContain('Only Referrals admins and MPN partner admins can accept leads.');
    const submit = await h.click(vic, 'lead.accept', { leadId: h.leadId, revision: 1, ...deal });
    expect(seen(submit.card as CardAttachment).all).toContain('can accept leads');
    expect((await h.app.leads.get(h.leadId))?.lead.stage).toBe('Received');
  });

  it('says how to configure an admin when none is configured', async () => {
    const h = await harness({ env: { LEAD_ADMIN_IDS: '', PARTNER_ADMIN_IDS: '' } });
    // Nobody has a role, so nobody reads the lead either: the card says why, and how to begin.
    const { card } = await h.click(dana, 'lead.acceptForm', { leadId: h.leadId });
    expect(seen(card as CardAttachment).all).toContain('No admin is configured yet');
    expect((await h.say(dana, 'marketplace'))[0]?.text).toContain('No admin is configured yet');
  });
});

describe('declining, editing, employees, won and lost', () => {
  it('requires notes for the reason "Others"', async () => {
    const h = await harness();
    const { card } = await h.click(dana, 'lead.decline', { leadId: h.leadId, reason: 'others', closeNotes: '' });
    expect(seen(card as CardAttachment).all).toContain('Notes are required for "Others"');
    const done = await h.click(dana, 'lead.decline', { leadId: h.leadId, reason: 'others', closeNotes: 'Outside our region' });
    expect(titles(done.card as CardAttachment).filter((t) => t !== '♡ Favorite' && t !== 'Open in Partner Center')).toEqual([]);
    expect((await h.app.leads.get(h.leadId))?.lead).toMatchObject({ stage: 'Archived', outcome: 'Declined' });
  });

  it('edits the deal with the form prefilled, and refuses an edit made on an older version', async () => {
    const h = await harness();
    await h.click(dana, 'lead.accept', { leadId: h.leadId, revision: 1, ...deal });
    const form = await h.click(dana, 'lead.editForm', { leadId: h.leadId, revision: 2 });
    expect(seen(form.card as CardAttachment).inputs.find((i) => i.id === 'dealName')?.value).toBe('Contoso rooms');
    await h.click(dana, 'lead.edit', { leadId: h.leadId, revision: 2, ...deal, dealValue: '200000' });
    const stale = await h.click(pat, 'lead.edit', { leadId: h.leadId, revision: 2, ...deal, dealValue: '1' });
    expect(seen(stale.card as CardAttachment).all).toMatch(/Dana Admin changed this lead at .*Check your entries/);
    expect(seen(stale.card as CardAttachment).inputs.find((i) => i.id === 'dealValue')?.value).toBe(1);
    expect((await h.app.leads.get(h.leadId))?.lead.deal?.value).toBe(200000);
  });

  it('answers retried Edit and Add employees as done, not as errors', async () => {
    const h = await harness();
    await h.click(dana, 'lead.accept', { leadId: h.leadId, revision: 1, ...deal });
    const edit = { leadId: h.leadId, revision: 2, ...deal, dealValue: '250000' };
    await h.click(dana, 'lead.edit', edit);
    const retriedEdit = await h.click(dana, 'lead.edit', edit);
    expect(seen(retriedEdit.card as CardAttachment).all).not.toMatch(/Check your entries/);
    expect(titles(retriedEdit.card as CardAttachment)).toContain('Edit');
    const employee = { leadId: h.leadId, employeeName: 'Lee Gu', employeeEmail: 'lee@partner.example' };
    await h.click(dana, 'lead.addEmployee', employee);
    const retriedAdd = await h.click(dana, 'lead.addEmployee', employee);
    expect(seen(retriedAdd.card as CardAttachment).all).not.toContain('already on this deal');
    expect((await h.app.leads.get(h.leadId))?.lead.employees).toHaveLength(1);
    expect((await h.app.leads.history(h.leadId)).map((e) => e.type)).toEqual(['receive', 'accept', 'edit', 'addEmployee']);
  });

  it('adds an employee, and asks for a phone or e-mail', async () => {
    const h = await harness();
    await h.click(dana, 'lead.accept', { leadId: h.leadId, revision: 1, ...deal });
    const bad = await h.click(dana, 'lead.addEmployee', { leadId: h.leadId, employeeName: 'Lee' });
    expect(seen(bad.card as CardAttachment).all).toContain('Give a phone number or an e-mail address');
    const good = await h.click(dana, 'lead.addEmployee', { leadId: h.leadId, employeeName: 'Lee Gu', employeeEmail: 'lee@partner.example' });
    expect(seen(good.card as CardAttachment).all).toContain('Lee Gu');
  });

  it('asks before closing as won, then archives with no lifecycle buttons', async () => {
    const h = await harness();
    await h.click(dana, 'lead.accept', { leadId: h.leadId, revision: 1, ...deal });
    const confirm = await h.click(dana, 'lead.wonConfirm', { leadId: h.leadId });
    expect(titles(confirm.card as CardAttachment)).toContain('Yes, mark as won');
    expect((await h.app.leads.get(h.leadId))?.lead.stage).toBe('Accepted');
    const won = await h.click(dana, 'lead.won', { leadId: h.leadId });
    expect(titles(won.card as CardAttachment).filter((t) => !t.includes('Favorit') && t !== 'Open in Partner Center')).toEqual([]);
    expect(seen(won.card as CardAttachment).all).toMatch(/Won by Dana Admin/);
  });

  it('closes as lost with an optional reason', async () => {
    const h = await harness();
    await h.click(dana, 'lead.accept', { leadId: h.leadId, revision: 1, ...deal });
    await h.click(dana, 'lead.lost', { leadId: h.leadId, reason: 'otherVendor' });
    expect((await h.app.leads.get(h.leadId))?.lead).toMatchObject({ outcome: 'Lost', closeReason: { code: 'otherVendor' } });
  });
});

describe('opening each form', () => {
  it.each([
    ['lead.declineForm', 'Received', ['reason', 'closeNotes']],
    ['lead.editForm', 'Accepted', ['dealName', 'dealValue', 'currency', 'purchaseDate']],
    ['lead.addEmployeeForm', 'Accepted', ['employeeName', 'employeePhone', 'employeeEmail']],
    ['lead.wonConfirm', 'Accepted', ['closeNotes']],
    ['lead.lostConfirm', 'Accepted', ['reason', 'closeNotes']],
  ])('%s on a %s lead shows labelled inputs with Cancel', async (verb, stage, ids) => {
    const h = await harness();
    if (stage === 'Accepted') await h.click(dana, 'lead.accept', { leadId: h.leadId, revision: 1, ...deal });
    const { card } = await h.click(dana, verb, { leadId: h.leadId });
    const view = seen(card as CardAttachment);
    expect(view.inputs.map((i) => i.id)).toEqual(expect.arrayContaining(ids));
    expect(view.inputs.every((i) => i.label)).toBe(true);
    expect(view.actions.find((a) => a.title === 'Cancel')).toMatchObject({ verb: 'lead.open', associatedInputs: 'none' });
  });
});

describe('favorites', () => {
  it('is per user: the clicker sees ♥, others keep ♡', async () => {
    const h = await harness();
    const mine = await h.click(vic, 'lead.favorite', { leadId: h.leadId });
    expect(titles(mine.card as CardAttachment)).toContain('♥ Favorited');
    const theirs = await h.click(dana, 'refresh', { leadId: h.leadId });
    expect(titles(theirs.card as CardAttachment)).toContain('♡ Favorite');
    expect((mine.card as CardAttachment).content.refresh).toMatchObject({ userIds: ['29:vic'] });
    const off = await h.click(vic, 'lead.unfavorite', { leadId: h.leadId });
    expect(titles(off.card as CardAttachment)).toContain('♡ Favorite');
  });
});

describe('answers Teams can rely on', () => {
  it('answers a payload it does not understand with HTTP 200 and an error body', async () => {
    const h = await harness();
    const unknown = await h.click(dana, 'lead.explode', { leadId: h.leadId });
    expect(unknown).toMatchObject({ status: 200, body: { statusCode: 400, type: 'application/vnd.microsoft.error' } });
    const noLead = await h.click(dana, 'lead.accept', { leadId: '../etc/passwd' });
    expect(noLead).toMatchObject({ status: 200, body: { statusCode: 400 } });
    const gone = await h.click(dana, 'lead.open', { leadId: 'does-not-exist' });
    expect(gone.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message' });
  });

  it('answers a verb named like an Object property ("constructor", "toString") as unknown, not as an internal error', async () => {
    const h = await harness();
    for (const verb of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const answer = await h.click(vic, verb, { leadId: h.leadId });
      expect(answer).toMatchObject({ status: 200, body: { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest' } } });
    }
  });

  it('answers an invoke it does not handle (task/fetch) with 400, not 501', async () => {
    const h = await harness();
    const replies = await h.turn({ ...execute(place, dana, 'refresh', {}, SERVICE_URL), name: 'task/fetch', value: {} });
    expect(replies.find((r) => r.type === 'invokeResponse')?.value).toMatchObject({ status: 400, body: { value: { code: 'NotSupported' } } });
  });

  it('answers with HTTP 200 and an error body when storage is down', async () => {
    const response = await invokeWithStorageDown(execute(place, dana, 'lead.open', { leadId: 'any-lead' }, SERVICE_URL));
    expect(response).toMatchObject({ status: 200, body: { statusCode: 500, type: 'application/vnd.microsoft.error', value: { code: 'ServiceUnavailable' } } });
  });

  it('speaks German to a German client', async () => {
    const h = await harness();
    const { card } = await h.click(dana, 'lead.open', { leadId: h.leadId }, { locale: 'de-DE' });
    expect(titles(card as CardAttachment)).toEqual(expect.arrayContaining(['Annehmen', 'Ablehnen']));
  });

  it('refuses activities from a tenant that is not allowed', async () => {
    const h = await harness({ env: { ALLOWED_TENANT_IDS: '11111111-1111-4111-8111-111111111111' } });
    const replies = await h.say(dana, 'help');
    expect(replies).toEqual([]);
    const click = await h.turn(execute(place, dana, 'lead.favorite', { leadId: h.leadId }, SERVICE_URL));
    expect(click[0]?.value).toMatchObject({ status: 200, body: { type: 'application/vnd.microsoft.error' } });
    expect((await h.app.leads.get(h.leadId))?.lead.favorites).toEqual([]);
  });
});

describe('commands', () => {
  it('takes the German menu titles German Teams sends, as the English commands', async () => {
    const h = await harness();
    await h.app.settle();
    const [unassigned] = await h.say(dana, 'ohne zuständige', place, 'de-DE');
    expect(seen(cardOf(unassigned)).all).toContain('Fabrikam cloud migration');
    const [english] = await h.say(dana, 'unassigned', place, 'de-DE');
    expect(JSON.stringify(cardOf(english).content)).toBe(JSON.stringify(cardOf(unassigned).content));
    const [help] = await h.say(dana, 'Hilfe', place, 'de-DE');
    expect(seen(cardOf(help)).all).toContain('Partner Leads – Hilfe');
  });

  it('retry is for partner admins, and says when a lead is not set aside', async () => {
    const h = await harness();
    expect((await h.say(dana, `retry ${h.leadId}`))[0]?.text).toBe('Only MPN partner admins can retry leads.');
    expect((await h.say(pat, 'retry'))[0]?.text).toMatch(/^Usage: retry/);
    expect((await h.say(pat, `retry ${h.leadId}`))[0]?.text).toBe(`Nothing named ${h.leadId} is set aside: there is nothing to retry.`);
    // Set aside with its change still owed (as the projector parks it), then retried: processed.
    const other = referral({ name: 'Parked lead' });
    // Stored without kicking the projector, so nothing projects it before it is parked.
    await ingestReferrals([other], { leads: h.app.leads, now: h.app.now, responseDays: 14 });
    expect(await h.app.leads.park(other.id, 'its row could not be read', new Date())).not.toEqual([]);
    expect((await h.say(pat, `retry ${other.id}`))[0]?.text).toBe(`Lead ${other.id} was processed: its cards, lists and reminders are up to date again.`);
    expect(await h.app.leads.pending(other.id)).toBeUndefined();
    expect(await h.app.leads.parked()).toEqual([]);
  });

  it('help shows the commands', async () => {
    const h = await harness();
    const [reply] = await h.say(dana, 'help');
    expect(seen(cardOf(reply)).all).toMatch(/marketplace[\s\S]*qualified[\s\S]*favorites[\s\S]*archived/);
  });

  it('lists leads newest first, 10 a page, with Next and Previous', async () => {
    const h = await harness();
    const base = Date.now();
    await h.app.ingest(Array.from({ length: 12 }, (_, i) => referral({ name: `Lead ${String(i).padStart(2, '0')}`, createdDateTime: new Date(base + (12 - i) * 1000).toISOString() })));
    await h.app.settle();
    const [reply] = await h.say(dana, 'marketplace');
    const page1 = seen(cardOf(reply));
    expect(page1.actions.filter((a) => a.verb === 'lead.open')).toHaveLength(10);
    expect(page1.all).toContain('Lead 00');
    const next = page1.actions.find((a) => a.verb === 'list.page');
    expect(next?.title).toBe('Next');
    const page2 = await h.click(dana, 'list.page', next?.data as Record<string, unknown>);
    const seen2 = seen(page2.card as CardAttachment);
    expect(seen2.actions.filter((a) => a.verb === 'lead.open')).toHaveLength(3);
    expect(seen2.actions.map((a) => a.title)).toContain('Previous');
  });

  it.each([
    ['marketplace', 'Marketplace leads'],
    ['qualified', 'Qualified leads'],
    ['favorites', 'Favorites'],
    ['archived', 'Archived'],
  ])('%s shows its list as one card', async (command, title) => {
    const h = await harness();
    await h.app.settle();
    const [reply] = await h.say(vic, command);
    expect(seen(cardOf(reply)).texts[0]).toContain(title);
  });

  it('lead <id> shows the card; an unknown id says so', async () => {
    const h = await harness();
    const [card] = await h.say(dana, `lead ${h.leadId}`);
    expect(titles(cardOf(card))).toContain('Accept');
    const [missing] = await h.say(dana, 'lead nope-404');
    expect(missing?.text).toBe('There is no lead with the id nope-404.');
  });

  it('lets a partner admin grant and revoke roles, and nobody else', async () => {
    const h = await harness();
    const refused = await h.say(dana, `grant ${vic.aadObjectId} leadAdmin`);
    expect(refused[0]?.text).toBe('Only MPN partner admins can grant or revoke roles.');
    const granted = await h.say(pat, `grant ${vic.aadObjectId} leadAdmin`, personal(pat));
    expect(granted[0]?.text).toContain('is now a Referrals admin');
    const afterGrant = await h.click(vic, 'lead.acceptForm', { leadId: h.leadId });
    expect(seen(afterGrant.card as CardAttachment).inputs.map((i) => i.id)).toContain('dealName');
    const [roles] = await h.say(pat, 'roles');
    expect(seen(cardOf(roles)).all).toContain(vic.aadObjectId);
    await h.say(pat, `revoke ${vic.aadObjectId}`);
    const after = await h.click(vic, 'lead.acceptForm', { leadId: h.leadId });
    expect(seen(after.card as CardAttachment).all).toContain('can accept leads');
    expect((await h.say(pat, 'grant someone admin'))[0]?.text).toMatch(/^Usage: grant/);
    // A role named like an Object property is no role: nothing is granted (Vic keeps the viewer role from settings).
    expect((await h.say(pat, `grant ${vic.aadObjectId} constructor`, personal(pat)))[0]?.text).toMatch(/^Usage: grant/);
    expect(await h.app.roles.roleOf(vic.aadObjectId)).toBe('leadViewer');
  });

  it('answers insights with the figures of 30 days, or of the period asked, and says how to ask for one it does not know', async () => {
    const h = await harness();
    await h.click(dana, 'lead.accept', { leadId: h.leadId, revision: 1, ...deal });
    await h.app.settle();
    const [month] = await h.say(vic, 'insights');
    expect(seen(cardOf(month)).texts).toEqual(expect.arrayContaining(['Insights · last 30 days', 'Accepted: 1']));
    expect(titles(cardOf(month))).toEqual(['Last 7 days', 'Last 90 days']);
    const [week] = await h.say(vic, 'insights 7d', place, 'de-DE');
    expect(seen(cardOf(week)).texts).toContain('Auswertung · letzte 7 Tage');
    expect((await h.say(vic, 'insights yesterday'))[0]?.text).toMatch(/^Usage: insights 7d/);
    const quarter = await h.click(vic, 'insights.show', { period: '90d' });
    expect(seen(quarter.card as CardAttachment).texts).toContain('Insights · last 90 days');
    expect((await h.click(vic, 'insights.show', { period: '1y' })).body).toMatchObject({ statusCode: 400 });
  });

  it("shows this conversation's settings to everyone, and lets only a partner admin change them", async () => {
    const h = await harness();
    await h.turn(installUpdate(place, pat, SERVICE_URL));
    const [readOnly] = await h.say(vic, 'settings');
    expect(seen(cardOf(readOnly)).inputs).toEqual([]);
    expect(seen(cardOf(readOnly)).all).toContain('MPN partner admins change these settings');

    const [form] = await h.say(pat, 'settings');
    const inputs = seen(cardOf(form)).inputs;
    expect(inputs.map((i) => i.id)).toEqual(['leadKinds', 'flameAlerts', 'reminders', 'digest', 'insights', 'language']);
    for (const input of inputs) expect(input.label).toBeTruthy();

    const refused = await h.click(vic, 'settings.save', { leadKinds: 'qualified', digest: 'false', language: 'de' });
    expect(seen(refused.card as CardAttachment).all).toContain('Only MPN partner admins');
    const saved = await h.click(pat, 'settings.save', { leadKinds: 'qualified', flameAlerts: 'true', reminders: 'true', digest: 'false', insights: 'true', language: 'de' });
    expect(seen(saved.card as CardAttachment).all).toContain('Saved.');
    const stored = await h.app.conversations.get(conversationKey(place.conversation.id));
    expect(stored?.settings).toMatchObject({ leadKinds: ['qualified'], digest: false, language: 'de' });

    const bad = await h.click(pat, 'settings.save', { leadKinds: 'everything', language: 'fr' });
    expect(seen(bad.card as CardAttachment).all).toContain('Choose Marketplace leads, Qualified leads, both or none');
    expect((await h.app.conversations.get(conversationKey(place.conversation.id)))?.settings.leadKinds).toEqual(['qualified']);
  });

  it('never lets two saves from the same card silently undo each other: the later one is shown what changed', async () => {
    const h = await harness();
    await h.turn(installUpdate(place, pat, SERVICE_URL));
    const [card] = await h.say(pat, 'settings');
    const save = seen(cardOf(card)).actions.find((a) => a.verb === 'settings.save')!;
    const shown = save.data as Record<string, unknown>;
    const values = { leadKinds: 'marketplace,qualified', flameAlerts: 'true', reminders: 'true', digest: 'true', insights: 'true', language: 'auto' };
    // Two people had the same card open: one turns reminders off, then the other turns the digest off.
    expect(seen((await h.click(pat, 'settings.save', { ...shown, ...values, reminders: 'false' })).card as CardAttachment).all).toContain('Saved.');
    const late = await h.click(pat, 'settings.save', { ...shown, ...values, digest: 'false' });
    expect(seen(late.card as CardAttachment).all).toContain('Someone saved these settings while you were changing them');
    expect(seen(late.card as CardAttachment).inputs.find((i) => i.id === 'reminders')?.value).toBe('false');
    expect((await h.app.conversations.get(conversationKey(place.conversation.id)))?.settings).toMatchObject({ reminders: false, digest: true });
  });

  it("lets the person whose personal chat it is change that chat's settings", async () => {
    const h = await harness();
    const chat = personal(vic);
    await h.turn(installUpdate(chat, vic, SERVICE_URL));
    const [form] = await h.say(vic, 'settings', chat);
    // Their own chat also says whether their own events go to their activity feed.
    expect(seen(cardOf(form)).inputs.map((i) => i.id)).toEqual(['leadKinds', 'flameAlerts', 'reminders', 'digest', 'insights', 'activityFeed', 'language']);
    const saved = await h.click(vic, 'settings.save', { leadKinds: '', reminders: 'false', activityFeed: 'false' }, { where: chat });
    expect(seen(saved.card as CardAttachment).all).toContain('Saved.');
    expect((await h.app.conversations.get(conversationKey(chat.conversation.id)))?.settings).toMatchObject({ leadKinds: [], reminders: false, activityFeed: false });
  });

  it('answers sync with the Partner Center sync state: off here, with how to turn it on', async () => {
    const h = await harness();
    const [card] = await h.say(vic, 'sync');
    expect(seen(cardOf(card)).all).toContain('The sync is off');
    const [german] = await h.say(vic, 'sync', place, 'de-DE');
    expect(seen(cardOf(german)).all).toContain('Die Synchronisierung ist aus');
  });
});


describe('owners', () => {
  const SAM = { aadObjectId: '6f1c1a52-3d1e-4a8e-9b44-2b1f7d0c9e10', teamsUserId: '29:sam', name: 'Sam Lee', email: 'sam@partner.example' };
  /** Teams as the bot reaches it: this channel's members are Dana, Pat and Sam. */
  const teams = () => {
    const gateway = new RecordingGateway(() => new Date());
    gateway.memberLists.set(place.conversation.id, [
      { aadObjectId: dana.aadObjectId, teamsUserId: dana.id, name: dana.name, email: 'dana@partner.example' },
      { aadObjectId: pat.aadObjectId, teamsUserId: pat.id, name: pat.name },
      SAM,
    ]);
    return gateway;
  };

  it('Take it makes the clicker the owner, with the e-mail Teams knows; the card says so', async () => {
    const h = await harness({ gateway: teams() });
    const { card } = await h.click(dana, 'lead.take', { leadId: h.leadId, revision: 1 });
    expect(seen(card as CardAttachment).all).toMatch(/Owner: Dana Admin · since /);
    expect(titles(card as CardAttachment)).toContain('Reassign…');
    expect((await h.app.leads.get(h.leadId))?.lead.owner).toMatchObject({ id: dana.aadObjectId, teamsUserId: '29:dana', email: 'dana@partner.example' });
  });

  it('tells the second person to click Take it who took the lead, and keeps the first owner', async () => {
    const h = await harness({ gateway: teams() });
    await h.click(dana, 'lead.take', { leadId: h.leadId, revision: 1 });
    const late = await h.click(pat, 'lead.take', { leadId: h.leadId, revision: 1 });
    expect(late.status).toBe(200);
    expect(seen(late.card as CardAttachment).all).toMatch(/Dana Admin took this lead at /);
    expect((await h.app.leads.get(h.leadId))?.lead.owner?.name).toBe('Dana Admin');
  });

  it("opens Assign… with Teams' people search and the conversation's members, and assigns the one picked", async () => {
    const h = await harness({ gateway: teams() });
    const form = await h.click(dana, 'lead.assignForm', { leadId: h.leadId, revision: 1 });
    const [input] = seen(form.card as CardAttachment).inputs as Array<Record<string, any>>;
    expect(input).toMatchObject({ id: 'ownerId', label: 'Owner', isRequired: true, 'choices.data': { type: 'Data.Query', dataset: 'graph.microsoft.com/users?scope=currentContext' } });
    expect(input?.choices.map((c: { title: string }) => c.title)).toEqual(['Dana Admin (dana@partner.example)', 'Pat Partner', 'Sam Lee (sam@partner.example)']);

    // Teams' search sends the AAD object id; who that is comes from Teams.
    const { card } = await h.click(dana, 'lead.assign', { leadId: h.leadId, revision: 1, ownerId: SAM.aadObjectId.toUpperCase() });
    expect(seen(card as CardAttachment).all).toMatch(/Owner: Sam Lee · assigned by Dana Admin · /);
    expect((await h.app.leads.get(h.leadId))?.lead.owner).toMatchObject({ id: SAM.aadObjectId, name: 'Sam Lee', teamsUserId: '29:sam', email: 'sam@partner.example', by: { name: 'Dana Admin' } });
  });

  it('in a personal chat, searches the organization and finds the one picked among the members of the channel where the lead is posted', async () => {
    const gateway = teams();
    const h = await harness({ gateway });
    await h.turn(installUpdate(place, dana, SERVICE_URL));
    await h.say(dana, 'subscribe');
    const posted = referral({ name: 'Posted in Sales' });
    await h.app.ingest([posted]);
    await h.app.settle();
    const chat = personal(dana);
    const form = await h.click(dana, 'lead.assignForm', { leadId: posted.id }, { where: chat });
    expect(seen(form.card as CardAttachment).inputs[0]).toMatchObject({ 'choices.data': { dataset: 'graph.microsoft.com/users' } });
    const { card } = await h.click(dana, 'lead.assign', { leadId: posted.id, ownerId: SAM.aadObjectId }, { where: chat });
    expect(seen(card as CardAttachment).all).toMatch(/Owner: Sam Lee · assigned by Dana Admin/);
  });

  it('offers the clicker and the owner where Teams will not list the conversation (a private channel the roster call refuses), and assigns either', async () => {
    const h = await harness({ gateway: new RecordingGateway(() => new Date()) });
    await h.click(dana, 'lead.assign', { leadId: h.leadId, revision: 1, ownerId: dana.aadObjectId });
    const form = await h.click(pat, 'lead.assignForm', { leadId: h.leadId });
    const [input] = seen(form.card as CardAttachment).inputs as Array<Record<string, any>>;
    expect(input?.choices).toEqual([
      { title: 'Pat Partner', value: pat.aadObjectId },
      { title: 'Dana Admin', value: dana.aadObjectId },
    ]);
    const same = await h.click(pat, 'lead.assign', { leadId: h.leadId, ownerId: dana.aadObjectId });
    expect(seen(same.card as CardAttachment).all).not.toContain('not in this conversation');
    expect(seen(same.card as CardAttachment).all).toMatch(/Owner: Dana Admin/);
    const { card } = await h.click(pat, 'lead.assign', { leadId: h.leadId, ownerId: pat.aadObjectId });
    expect(seen(card as CardAttachment).all).toMatch(/Owner: Pat Partner · since /);
  });

  it('shows the form again, with the problem under the picker, for nobody picked or someone not in the conversation', async () => {
    const h = await harness({ gateway: teams() });
    const none = await h.click(dana, 'lead.assign', { leadId: h.leadId, revision: 1, ownerId: '' });
    expect(seen(none.card as CardAttachment).all).toContain('Choose a person');
    expect(seen(none.card as CardAttachment).inputs.map((i) => i.id)).toEqual(['ownerId']);
    const stranger = await h.click(dana, 'lead.assign', { leadId: h.leadId, revision: 1, ownerId: '11111111-2222-4333-8444-555555555555' });
    expect(seen(stranger.card as CardAttachment).all).toContain('That person is not in this conversation. Choose someone who is.');
    expect((await h.app.leads.get(h.leadId))?.lead.owner).toBeUndefined();
  });

  it('refuses Take it and Assign… to someone without a role, and changes nothing', async () => {
    const h = await harness({ gateway: teams() });
    expect(seen((await h.click(vic, 'lead.take', { leadId: h.leadId })).card as CardAttachment).all).toContain('Only Referrals admins and MPN partner admins can take leads.');
    expect(seen((await h.click(vic, 'lead.assignForm', { leadId: h.leadId })).card as CardAttachment).all).toContain('can assign leads');
    expect(seen((await h.click(vic, 'lead.assign', { leadId: h.leadId, ownerId: SAM.aadObjectId })).card as CardAttachment).all).toContain('can assign leads');
    expect((await h.app.leads.get(h.leadId))?.lead.owner).toBeUndefined();
  });

  it('my leads (and mine) list what I own and my favorites; unassigned lists what nobody owns', async () => {
    const h = await harness({ gateway: teams() });
    const other = referral({ name: 'Northwind rollout' });
    await h.app.ingest([other]);
    await h.click(dana, 'lead.take', { leadId: h.leadId });
    await h.click(dana, 'lead.favorite', { leadId: other.id });
    await h.app.settle();
    for (const words of ['my leads', 'mine', 'My Leads']) {
      const [reply] = await h.say(dana, words);
      const view = seen(cardOf(reply));
      expect(view.texts.filter((t) => ['My leads', 'Need an answer', 'My favorites', 'Fabrikam cloud migration', 'Northwind rollout'].includes(t))).toEqual([
        'My leads',
        'Need an answer',
        'Fabrikam cloud migration',
        'My favorites',
        'Northwind rollout',
      ]);
    }
    const [unassigned] = await h.say(vic, 'unassigned');
    const rows = seen(cardOf(unassigned));
    expect(rows.texts[0]).toBe('Leads without an owner');
    expect(rows.actions.filter((a) => a.verb === 'lead.open').map((a) => (a.data as { leadId: string }).leadId)).toEqual([other.id]);
  });

  it('notify me …: records per person and conversation which new leads mention them, and explains itself', async () => {
    const h = await harness();
    expect((await h.say(vic, 'notify me marketplace'))[0]?.text).toBe('You will be @mentioned here on new marketplace leads.');
    expect(await h.app.conversations.notifyWishes(conversationKey(place.conversation.id))).toEqual([{ personId: vic.aadObjectId, name: 'Vic Viewer', teamsUserId: '29:vic', kinds: ['marketplace'] }]);
    expect((await h.say(vic, 'notify me all', place, 'de-DE'))[0]?.text).toBe('Sie werden hier bei neuen Marketplace- und qualifizierten Leads @erwähnt.');
    expect((await h.say(vic, 'notify me off'))[0]?.text).toBe('You will no longer be @mentioned here on new leads.');
    expect(await h.app.conversations.notifyWishes(conversationKey(place.conversation.id))).toEqual([]);
    expect((await h.say(vic, 'notify me sometimes'))[0]?.text).toBe('Usage: notify me marketplace, notify me qualified, notify me all, or notify me off.');
    expect((await h.say(vic, 'notify me all', personal(vic)))[0]?.text).toContain('Use notify in a channel or group chat');
  });

  it('Snooze on a reminder puts it off for the clicker only, and says until when', async () => {
    const h = await harness();
    const { card } = await h.click(dana, 'lead.snooze', { leadId: h.leadId, until: 'day' });
    expect(seen(card as CardAttachment).texts[0]).toBe('⏰ Fabrikam cloud migration: reminder put off');
    const snoozed = (await h.app.leads.get(h.leadId))?.lead.snoozed ?? {};
    expect(Object.keys(snoozed)).toEqual([dana.aadObjectId]);
    expect(Date.parse(snoozed[dana.aadObjectId]!) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    const bad = await h.click(dana, 'lead.snooze', { leadId: h.leadId, until: 'forever' });
    expect(bad.body).toMatchObject({ statusCode: 400, type: 'application/vnd.microsoft.error' });
  });
});
