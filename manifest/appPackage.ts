/** Builds the Teams app package: manifest.json (the template, filled and validated offline) and the two icons, zipped. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TeamsManifest } from '@microsoft/app-manifest';
import JSZip from 'jszip';
import { z } from 'zod';
import { toFieldIssues } from '../services/errors';
import { ManifestError } from './manifestError';
import { schemaErrors } from './manifestSchema';
import { MANIFEST_DIR } from './projectRoot';

const ICONS = ['color.png', 'outline.png'] as const;
const DEFAULT_WEBSITE = 'https://partner-leads.contoso.example';

const template: unknown = JSON.parse(readFileSync(path.join(MANIFEST_DIR, 'manifest.template.json'), 'utf8'));

export const appPackageSettingsSchema = z.object({
  appId: z.guid('must be a GUID (the Teams app id)'),
  botId: z.guid("must be a GUID (the Azure Bot's app id, MicrosoftAppId)"),
  // Teams accepts only MAJOR.MINOR.PATCH, and an update must raise it.
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'must be MAJOR.MINOR.PATCH, such as 1.4.0'),
  validDomains: z.array(z.hostname('must be a host name such as leads.contoso.com, without https:// or a path')).max(100),
  websiteUrl: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
});

export type AppPackageSettings = z.infer<typeof appPackageSettingsSchema>;

/** The manifest for these settings; throws a ManifestError naming each invalid setting. */
export function renderManifest(input: AppPackageSettings): TeamsManifest {
  const parsed = appPackageSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error.issues);
    throw new ManifestError(`Invalid app package settings: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  }
  const { appId, botId, version, validDomains, websiteUrl = DEFAULT_WEBSITE } = parsed.data;
  const site = websiteUrl.replace(/\/+$/, '');
  return fill(template, {
    appId,
    botId,
    version,
    validDomains: [...new Set(validDomains.map((domain) => domain.toLowerCase()))],
    websiteUrl: site,
    privacyUrl: `${site}/privacy`,
    termsOfUseUrl: `${site}/terms`,
  }) as TeamsManifest;
}

/** The zip to upload to Teams; throws a ManifestError listing the schema errors if the manifest is invalid. */
export async function buildAppPackage(settings: AppPackageSettings): Promise<Buffer> {
  const manifest = renderManifest(settings);
  const errors = await schemaErrors(manifest);
  if (errors.length > 0) throw new ManifestError(`manifest.json does not match its schema:\n  ${errors.join('\n  ')}`, errors);
  const zip = new JSZip();
  zip.file('manifest.json', JSON.stringify(manifest, null, 2));
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
