/**
 * Offline schema validation. AppManifestUtils quietly fetches the schema from the network when the
 * package does not bundle the one `$schema` names, so we first make sure it is the bundled one.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AppManifestUtils, type TeamsManifest } from '@microsoft/app-manifest';
import { ManifestError } from './manifestError';

const BUNDLED_TEAMS_SCHEMAS = path.join(path.dirname(require.resolve('@microsoft/app-manifest')), 'json-schemas', 'teams');

export async function schemaErrors(manifest: TeamsManifest): Promise<string[]> {
  const version = manifest.manifestVersion;
  const expectedUrl = `https://developer.microsoft.com/json-schemas/teams/v${version}/MicrosoftTeams.schema.json`;
  if (manifest.$schema !== expectedUrl) {
    throw new ManifestError(`$schema must be ${expectedUrl} to match manifestVersion ${version}, not ${String(manifest.$schema)}`);
  }
  if (!existsSync(path.join(BUNDLED_TEAMS_SCHEMAS, `v${version}`, 'MicrosoftTeams.schema.json'))) {
    throw new ManifestError(`@microsoft/app-manifest bundles no schema for manifestVersion ${version}`);
  }
  return AppManifestUtils.validateAgainstSchema(manifest);
}
