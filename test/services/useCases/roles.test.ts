/** Who may grant roles: partner admins only, whatever the edge checked before. */
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
    const roles = new RoleUseCases(new RoleStore((await storage.freshTables()).Roles, { leadAdmins: [], partnerAdmins: [PARTNER_ADMIN_ID] }));
    expect(await roles.grant(USER_ID, SOMEONE, 'leadAdmin')).toBe('forbidden');
    expect(await roles.of(SOMEONE)).toBeUndefined();

    expect(await roles.grant(PARTNER_ADMIN_ID, SOMEONE, 'leadAdmin')).toBe('granted');
    expect(await roles.of(SOMEONE)).toBe('leadAdmin');
    expect(await roles.revoke(USER_ID, SOMEONE)).toBe('forbidden');
    expect(await roles.of(SOMEONE)).toBe('leadAdmin');
    expect(await roles.revoke(PARTNER_ADMIN_ID, SOMEONE)).toBe('revoked');
    expect(await roles.revoke(PARTNER_ADMIN_ID, SOMEONE)).toBe('absent');
  });
});
