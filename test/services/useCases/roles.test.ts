/** Who may grant roles: partner admins only, whatever the edge checked before. */
import { ConversationStore } from '../../../services/storage/conversationStore';
import { RoleStore } from '../../../services/storage/roleStore';
import { RoleUseCases } from '../../../services/useCases/roles';
import { PARTNER_ADMIN_ID, USER_ID } from '../../support/settings';
import { startTestStorage, type TestStorage } from '../../support/storage';

let storage: TestStorage;
beforeAll(async () => {
  storage = await startTestStorage();
});
afterAll(() => storage.close());

const SOMEONE = '11111111-2222-4333-8444-555555555555';

describe('granting and revoking roles', () => {
  it('lets a partner admin grant and revoke, and refuses anyone else without writing anything', async () => {
    const tables = await storage.freshTables();
    const roles = new RoleUseCases(new RoleStore(tables.Roles, { leadAdmins: [], partnerAdmins: [PARTNER_ADMIN_ID] }), new ConversationStore(tables.Conversations));
    expect(await roles.grant(USER_ID, SOMEONE, 'leadAdmin')).toBe('forbidden');
    expect((await roles.access(SOMEONE)).role).toBeUndefined();

    expect(await roles.grant(PARTNER_ADMIN_ID, SOMEONE, 'leadAdmin')).toBe('granted');
    expect((await roles.access(SOMEONE)).role).toBe('leadAdmin');
    expect(await roles.revoke(USER_ID, SOMEONE)).toBe('forbidden');
    expect((await roles.access(SOMEONE)).role).toBe('leadAdmin');
    expect(await roles.revoke(PARTNER_ADMIN_ID, SOMEONE)).toBe('revoked');
    expect(await roles.revoke(PARTNER_ADMIN_ID, SOMEONE)).toBe('absent');
  });

  it("stops the team's stream in a person's personal chat with their role, and lets only partner admins give it", async () => {
    const tables = await storage.freshTables();
    const conversations = new ConversationStore(tables.Conversations);
    const roles = new RoleUseCases(new RoleStore(tables.Roles, { leadAdmins: [], partnerAdmins: [PARTNER_ADMIN_ID] }), conversations);
    const chat = await conversations.save({ conversationId: 'a:someone', scope: 'personal', userId: SOMEONE, installed: true, reference: {} });
    expect(await roles.stream(USER_ID, { id: SOMEONE }, true)).toBe('forbidden');
    expect((await conversations.get(chat.key))?.subscribed).toBe(false);

    await roles.grant(PARTNER_ADMIN_ID, SOMEONE, 'leadViewer');
    expect(await roles.stream(PARTNER_ADMIN_ID, { id: SOMEONE, name: 'Someone' }, true)).toBe('changed');
    expect((await conversations.get(chat.key))?.subscribed).toBe(true);
    expect(await roles.streams()).toEqual([{ id: SOMEONE, name: 'Someone', grantedBy: PARTNER_ADMIN_ID }]);

    expect(await roles.revoke(PARTNER_ADMIN_ID, SOMEONE)).toBe('revoked');
    expect((await conversations.get(chat.key))?.subscribed).toBe(false);
    expect(await roles.streams()).toEqual([]);
  });
});
