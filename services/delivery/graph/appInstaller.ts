/**
 * Installs the app in a person's personal scope with Microsoft Graph (an admin's choice:
 * PROACTIVE_INSTALL=on), so that an owner who never met the bot outside a channel can be reached
 * in a 1:1 chat and in their activity feed. Graph installs only apps in the organization's app
 * catalog, by their catalog id: TEAMS_CATALOG_APP_ID, else looked up once by the manifest's id.
 */
import type { Logger } from '../../logger';
import { GraphError, type GraphClient } from './graphClient';
import type { ReachMonitor } from './reachStatus';

export interface AppInstallerDeps {
  graph: GraphClient;
  reach: ReachMonitor;
  /** The catalog id, when an admin set it. */
  catalogAppId?: string;
  /** The manifest's id (the catalog's externalId) to look the catalog id up by. */
  manifestAppId: string;
  /** Whether the package declares TeamsActivity.Send.User (not for a bot running as a managed identity): consented at the install. */
  resourceSpecificConsent: boolean;
  log: Logger;
}

export class AppInstaller {
  private catalogId?: string;

  constructor(private readonly deps: AppInstallerDeps) {
    this.catalogId = deps.catalogAppId;
  }

  /** Installs the app for the person (by AAD object id); true once it is installed (already, or now). */
  async install(person: string): Promise<boolean> {
    const { graph, reach, log } = this.deps;
    if (!reach.enabled('proactiveInstall')) return false;
    try {
      const catalogId = await this.catalog();
      if (!catalogId) {
        reach.refused('proactiveInstall', `the app (manifest id ${this.deps.manifestAppId}) is not in the organization's app catalog`);
        return false;
      }
      await graph.request('POST', `/v1.0/users/${encodeURIComponent(person)}/teamwork/installedApps`, {
        'teamsApp@odata.bind': graph.url(`/v1.0/appCatalogs/teamsApps/${encodeURIComponent(catalogId)}`),
        ...(this.deps.resourceSpecificConsent && {
          consentedPermissionSet: { resourceSpecificPermissions: [{ permissionValue: 'TeamsActivity.Send.User', permissionType: 'Application' }] },
        }),
      });
      reach.worked('proactiveInstall');
      log.info({ person }, 'installed the app for a person the bot could not reach');
      return true;
    } catch (error) {
      if (!(error instanceof GraphError)) throw error;
      // Installed already (Microsoft's own templates read 409 so).
      if (error.status === 409) return true;
      // Taken out of the catalog (or another id): looked up again next time.
      if (error.status === 404) this.catalogId = this.deps.catalogAppId ? this.catalogId : undefined;
      if (error.status === 401 || error.status === 403 || error.status === 404) reach.refused('proactiveInstall', error.message);
      else log.warn({ err: error, person }, 'installing the app for a person failed; the @mention still reaches them');
      return false;
    }
  }

  private async catalog(): Promise<string | undefined> {
    if (this.catalogId) return this.catalogId;
    const filter = encodeURIComponent(`externalId eq '${this.deps.manifestAppId.replace(/'/g, "''")}'`);
    const found = (await this.deps.graph.request('GET', `/v1.0/appCatalogs/teamsApps?$filter=${filter}`)).body as { value?: { id?: unknown }[] } | undefined;
    const id = found?.value?.[0]?.id;
    this.catalogId = typeof id === 'string' ? id : undefined;
    return this.catalogId;
  }
}
