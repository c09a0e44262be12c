/** Builds the Teams app package: manifest.json (the template, filled and validated offline), its German text and the two icons, zipped. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TeamsManifest } from '@microsoft/app-manifest';
import JSZip from 'jszip';
import { z } from 'zod';
import { toFieldIssues } from '../services/errors';
import { ManifestError } from './manifestError';
import { LOCALIZATION_FILES, localizationErrors, readLocalization, type LocalizableManifest } from './localization';
import { schemaErrors } from './manifestSchema';
import { MANIFEST_DIR } from './projectRoot';

const ICONS = ['color.png', 'outline.png'] as const;

const template: unknown = JSON.parse(readFileSync(path.join(MANIFEST_DIR, 'manifest.template.json'), 'utf8'));

/** Teams documents at most ten commands per menu (the schema allows twelve). */
const MAX_COMMANDS_PER_MENU = 10;

/**
 * Names and domains that only stand in for a real publisher (Microsoft's sample companies, the
 * reserved example and test names): an admin who uploads a package with them is misled.
 */
const PLACEHOLDER_HOST = /(^|\.)(example\.[a-z.]+|[^.]+\.(example|test|invalid|localhost|local))$|^localhost$|^[\d.]+$|^\[?[0-9a-f:]+\]?$|contoso|fabrikam|northwind|adatum|wingtip|tailspin|placeholder|your-?(company|domain)/i;
const PLACEHOLDER_NAME = /^(contoso|fabrikam|northwind|adatum|your (company|name)|publisher|company|todo|tbd|changeme|test)\b/i;

const https = (what: string) => z.url({ protocol: /^https$/, error: `must be the https URL of ${what}` });

export const appPackageSettingsSchema = z.object({
  appId: z.guid('must be a GUID (the Teams app id)'),
  botId: z.guid("must be a GUID (the Azure Bot's app id, MicrosoftAppId)"),
  // Teams accepts only MAJOR.MINOR.PATCH, and an update must raise it.
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'must be MAJOR.MINOR.PATCH, such as 1.4.0'),
  validDomains: z.array(z.hostname('must be a host name such as leads.contoso.com, without https:// or a path')).max(100),
  /** The publisher, as Teams shows it to people and admins. */
  developer: z.object({
    name: z.string().trim().min(1, 'must be the publisher\'s name').max(32, 'must be at most 32 characters'),
    websiteUrl: https("the publisher's website"),
    privacyUrl: https('the privacy statement'),
    termsOfUseUrl: https('the terms of use'),
  }),
  /** A package for trying the app out (sideloading, the Playground): placeholder names and domains are allowed. */
  trial: z.boolean().default(false),
  /**
   * Whether the package asks for the resource-specific TeamsActivity.Send.User (consented when the
   * app is installed). Not for a bot that runs as a managed identity: Teams refuses that consent for
   * a managed identity's id, so such a bot relies on the tenant-wide TeamsActivity.Send.
   */
  resourceSpecificConsent: z.boolean().default(true),
});

export type AppPackageSettings = z.input<typeof appPackageSettingsSchema>;

/** The manifest for these settings; throws a ManifestError naming each invalid setting. */
export function renderManifest(input: AppPackageSettings): TeamsManifest {
  const parsed = appPackageSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error.issues);
    throw new ManifestError(`Invalid app package settings: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  }
  const { appId, botId, version, validDomains, developer, trial, resourceSpecificConsent } = parsed.data;
  if (!trial) refusePlaceholders(developer, validDomains);
  const filled = fill(template, {
    appId,
    botId,
    version,
    validDomains: [...new Set(validDomains.map((domain) => domain.toLowerCase()))],
    developerName: developer.name,
    websiteUrl: developer.websiteUrl,
    privacyUrl: developer.privacyUrl,
    termsOfUseUrl: developer.termsOfUseUrl,
  }) as TeamsManifest & { authorization?: unknown };
  if (!resourceSpecificConsent) delete filled.authorization;
  return filled;
}

function refusePlaceholders(developer: { name: string; websiteUrl: string; privacyUrl: string; termsOfUseUrl: string }, validDomains: string[]): void {
  const issues = [
    ...validDomains.flatMap((domain, i) =>
      PLACEHOLDER_HOST.test(domain) ? [{ path: `validDomains.${i}`, message: `${domain} is not the bot's public host` }] : [],
    ),
    ...(PLACEHOLDER_NAME.test(developer.name) ? [{ path: 'developer.name', message: `"${developer.name}" is a placeholder, not the publisher's name` }] : []),
    ...(['websiteUrl', 'privacyUrl', 'termsOfUseUrl'] as const).flatMap((key) =>
      PLACEHOLDER_HOST.test(new URL(developer[key]).hostname) ? [{ path: `developer.${key}`, message: `${developer[key]} is a placeholder domain, not the publisher's` }] : [],
    ),
  ];
  if (issues.length > 0) throw new ManifestError(`A package for a tenant needs the publisher's own name and URLs: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/** What the schema cannot say: a short name distinct from the full one, menus within the documented size, German text for everything. */
function packageErrors(teamsManifest: TeamsManifest, localized: Map<string, Record<string, string>>): string[] {
  const manifest = teamsManifest as unknown as LocalizableManifest;
  const errors: string[] = [];
  if (manifest.name.full === undefined || manifest.name.full === manifest.name.short) errors.push('name.full must differ from name.short');
  manifest.bots?.[0]?.commandLists?.forEach((list, i) => {
    if (list.commands.length > MAX_COMMANDS_PER_MENU) errors.push(`bots[0].commandLists[${i}] has ${list.commands.length} commands: Teams documents at most ${MAX_COMMANDS_PER_MENU} per menu`);
  });
  for (const [file, texts] of localized) errors.push(...localizationErrors(manifest, file, texts));
  return errors;
}

/** The zip to upload to Teams; throws a ManifestError listing what is invalid. */
export async function buildAppPackage(settings: AppPackageSettings): Promise<Buffer> {
  const manifest = renderManifest(settings);
  const localized = new Map(LOCALIZATION_FILES.map((file) => [file, readLocalization(file)]));
  const errors = [...(await schemaErrors(manifest)), ...packageErrors(manifest, localized)];
  if (errors.length > 0) throw new ManifestError(`manifest.json does not match its schema:\n  ${errors.join('\n  ')}`, errors);
  const zip = new JSZip();
  zip.file('manifest.json', JSON.stringify(manifest, null, 2));
  for (const [file, texts] of localized) zip.file(file, JSON.stringify(texts, null, 2));
  for (const icon of ICONS) zip.file(icon, readFileSync(path.join(MANIFEST_DIR, icon)));
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

type Values = Record<string, string | string[]>;

/**
 * Replaces `{{name}}` in the template's strings. Filling parsed JSON rather than the raw text keeps a
 * value from breaking the JSON; a string that is exactly `{{name}}` of a list becomes that list.
 */
function fill(node: unknown, values: Values): unknown {
  if (typeof node === 'string') {
    const list = values[/^\{\{(\w+)\}\}$/.exec(node)?.[1] ?? ''];
    if (Array.isArray(list)) return list;
    return node.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      const value = values[name];
      if (typeof value !== 'string') throw new ManifestError(`manifest.template.json: no text value for {{${name}}}`);
      return value;
    });
  }
  if (Array.isArray(node)) return node.map((item) => fill(item, values));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, fill(value, values)]));
  }
  return node;
}
