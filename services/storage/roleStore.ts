/** Who may change leads: admins from settings plus those a partner admin granted in the Roles table. */
import { odata, type TableClient } from '@azure/data-tables';
import { deleteIfExists, getOrUndefined, guard } from './tables';

export const ROLES = ['leadAdmin', 'partnerAdmin'] as const;
export type Role = (typeof ROLES)[number];

export interface RoleEntry {
  id: string;
  role: Role;
  source: 'settings' | 'granted';
  grantedBy?: string;
}

const PARTITION = 'role';

export class RoleStore {
  constructor(
    private readonly table: TableClient,
    private readonly fromSettings: { leadAdmins: string[]; partnerAdmins: string[] },
  ) {}

  get adminsConfigured(): boolean {
    return this.fromSettings.leadAdmins.length + this.fromSettings.partnerAdmins.length > 0;
  }

  async roleOf(userId: string | undefined): Promise<Role | undefined> {
    if (!userId) return undefined;
    const id = userId.toLowerCase();
    if (this.fromSettings.partnerAdmins.includes(id)) return 'partnerAdmin';
    if (this.fromSettings.leadAdmins.includes(id)) return 'leadAdmin';
    const entity = await getOrUndefined<{ role: Role }>(this.table, PARTITION, id);
    return entity && ROLES.includes(entity.role) ? entity.role : undefined;
  }

  async grant(userId: string, role: Role, grantedBy: string): Promise<void> {
    await guard(() => this.table.upsertEntity({ partitionKey: PARTITION, rowKey: userId.toLowerCase(), role, grantedBy }, 'Replace'));
  }

  async revoke(userId: string): Promise<boolean> {
    const id = userId.toLowerCase();
    const existing = await getOrUndefined(this.table, PARTITION, id);
    if (!existing) return false;
    await deleteIfExists(this.table, PARTITION, id);
    return true;
  }

  async list(): Promise<RoleEntry[]> {
    const entries: RoleEntry[] = [
      ...this.fromSettings.partnerAdmins.map((id): RoleEntry => ({ id, role: 'partnerAdmin', source: 'settings' })),
      ...this.fromSettings.leadAdmins.map((id): RoleEntry => ({ id, role: 'leadAdmin', source: 'settings' })),
    ];
    await guard(async () => {
      const rows = this.table.listEntities<{ role: Role; grantedBy?: string }>({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION}` } });
      for await (const row of rows) {
        entries.push({ id: row.rowKey ?? '', role: row.role, source: 'granted', grantedBy: row.grantedBy });
      }
    });
    return entries;
  }
}
