/**
 * Who may do what with leads: Lead viewers read them, Referrals admins and MPN partner admins
 * change them (partner admins also grant roles), from settings or granted in the Roles table. And
 * whom a partner admin gave the team's stream of new leads in their personal chat.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { deleteIfExists, getOrUndefined, guard } from './tables';

export const ROLES = ['leadViewer', 'leadAdmin', 'partnerAdmin'] as const;
export type Role = (typeof ROLES)[number];

export interface RoleEntry {
  id: string;
  role: Role;
  source: 'settings' | 'granted';
  /** The person's name, when they were picked by name (granted from Teams). */
  name?: string;
  grantedBy?: string;
}

/** Someone a partner admin gave the team's new leads in their personal chat. */
export interface StreamEntry {
  id: string;
  name?: string;
  grantedBy: string;
}

const PARTITION = 'role';
const ADMIN_CHECK_MS = 60_000;
const STREAM = 'stream';

export class RoleStore {
  constructor(
    private readonly table: TableClient,
    private readonly fromSettings: { leadAdmins: string[]; partnerAdmins: string[]; leadViewers?: string[] },
  ) {}

  /** Whether anyone may change leads: an admin in the settings, or one granted (a granted one is looked for at most once a minute). */
  async adminsConfigured(): Promise<boolean> {
    if (this.fromSettings.leadAdmins.length + this.fromSettings.partnerAdmins.length > 0) return true;
    const now = Date.now();
    if (this.anyGranted && now - this.anyGranted.at < ADMIN_CHECK_MS) return this.anyGranted.found;
    const found = (await this.list()).some((entry) => entry.role !== 'leadViewer');
    this.anyGranted = { at: now, found };
    return found;
  }

  private anyGranted?: { at: number; found: boolean };

  async roleOf(userId: string | undefined): Promise<Role | undefined> {
    if (!userId) return undefined;
    const id = userId.toLowerCase();
    if (this.fromSettings.partnerAdmins.includes(id)) return 'partnerAdmin';
    if (this.fromSettings.leadAdmins.includes(id)) return 'leadAdmin';
    const entity = await getOrUndefined<{ role: Role }>(this.table, PARTITION, id);
    if (entity && ROLES.includes(entity.role)) return entity.role;
    return this.fromSettings.leadViewers?.includes(id) ? 'leadViewer' : undefined;
  }

  async grant(userId: string, role: Role, grantedBy: string, name?: string): Promise<void> {
    this.anyGranted = undefined;
    await guard(() => this.table.upsertEntity({ partitionKey: PARTITION, rowKey: userId.toLowerCase(), role, grantedBy, ...(name && { name }) }, 'Replace'));
  }

  async revoke(userId: string): Promise<boolean> {
    this.anyGranted = undefined;
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
      ...(this.fromSettings.leadViewers ?? []).map((id): RoleEntry => ({ id, role: 'leadViewer', source: 'settings' })),
    ];
    await guard(async () => {
      const rows = this.table.listEntities<{ role: Role; grantedBy?: string; name?: string }>({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION}` } });
      for await (const row of rows) {
        if (!ROLES.includes(row.role)) continue;
        entries.push({ id: row.rowKey ?? '', role: row.role, source: 'granted', grantedBy: row.grantedBy, name: row.name ?? undefined });
      }
    });
    return entries;
  }

  /** Whether a partner admin gave this person the team's new leads in their personal chat. */
  async streamsTo(userId: string): Promise<boolean> {
    return Boolean(await getOrUndefined(this.table, STREAM, userId.toLowerCase()));
  }

  async setStream(userId: string, on: boolean, grantedBy: string, name?: string): Promise<void> {
    const id = userId.toLowerCase();
    if (on) await guard(() => this.table.upsertEntity({ partitionKey: STREAM, rowKey: id, grantedBy, ...(name && { name }) }, 'Replace'));
    else await deleteIfExists(this.table, STREAM, id);
  }

  async streams(): Promise<StreamEntry[]> {
    const found: StreamEntry[] = [];
    await guard(async () => {
      for await (const row of this.table.listEntities<{ grantedBy: string; name?: string }>({ queryOptions: { filter: odata`PartitionKey eq ${STREAM}` } })) {
        found.push({ id: row.rowKey ?? '', grantedBy: row.grantedBy, name: row.name ?? undefined });
      }
    });
    return found;
  }
}
