/**
 * Use cases of roles: who may change leads (Referrals admins and MPN partner admins, from settings
 * or granted), and partner admins granting and revoking the roles.
 */
import type { Role, RoleEntry, RoleStore } from '../storage/roleStore';

export { ROLES, type Role, type RoleEntry } from '../storage/roleStore';

export class RoleUseCases {
  constructor(private readonly roles: RoleStore) {}

  /** Whether any admin is configured in the settings (else nobody can change leads yet). */
  get adminsConfigured(): boolean {
    return this.roles.adminsConfigured;
  }

  of(userId: string | undefined): Promise<Role | undefined> {
    return this.roles.roleOf(userId);
  }

  list(): Promise<RoleEntry[]> {
    return this.roles.list();
  }

  /** A partner admin (`by`) grants `role` to a person; anyone else is refused. */
  async grant(by: string, userId: string, role: Role): Promise<'granted' | 'forbidden'> {
    if ((await this.roles.roleOf(by)) !== 'partnerAdmin') return 'forbidden';
    await this.roles.grant(userId, role, by);
    return 'granted';
  }

  /** A partner admin (`by`) takes a granted role back. */
  async revoke(by: string, userId: string): Promise<'revoked' | 'absent' | 'forbidden'> {
    if ((await this.roles.roleOf(by)) !== 'partnerAdmin') return 'forbidden';
    return (await this.roles.revoke(userId)) ? 'revoked' : 'absent';
  }
}
