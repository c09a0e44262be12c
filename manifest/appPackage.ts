/** Builds the Teams app package: manifest.json (from the template, validated offline) and the two icons, zipped. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AppManifestUtils } from '@microsoft/app-manifest';
import JSZip from 'jszip';
import { z } from 'zod';
import { AppError, toFieldIssues } from '../services/errors';

/** manifest/ in the source tree, whether running from TypeScript (tests) or from dist/. */
export const MANIFEST_DIR = path.basename(path.resolve(__dirname, '..')) === 'dist' ? path.resolve(__dirname, '..', '..', 'manifest') : __dirname;

const template = readFileSync(path.join(MANIFEST_DIR, 'manifest.template.json'), 'utf8');

export const appPackageSettingsSchema = z.object({
  appId: z.uuid('appId (TEAMS_APP_ID) must be a GUID'),
  botId: z.uuid('botId (MicrosoftAppId) must be the Azure Bot app id, a GUID'),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'version must look like 1.2.3'),
  validDomains: z.array(z.string().regex(/^[a-z0-9.-]+(:\d+)?$/i, 'must be a host name')).default([]),
  websiteUrl: z.url().default('https://github.com/partner-leads/teams'),
});

export type AppPackageSettings = z.input<typeof appPackageSettingsSchema>;

export class ManifestError extends AppError {
  constructor(message: string, details: unknown) {
    super('validation', message, { details });
    this.name = 'ManifestError';
  }
}

export function renderManifest(input: AppPackageSettings): Record<string, unknown> {
  const parsed = appPackageSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error.issues);
    throw new ManifestError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  }
  const settings = parsed.data;
  const filled = template
    .replaceAll('{{version}}', settings.version)
    .replaceAll('{{appId}}', settings.appId)
    .replaceAll('{{botId}}', settings.botId)
    .replaceAll('{{websiteUrl}}', settings.websiteUrl.replace(/\/$/, ''));
  return { ...(JSON.parse(filled) as Record<string, unknown>), validDomains: settings.validDomains };
}

export async function buildAppPackage(settings: AppPackageSettings): Promise<Buffer> {
  const manifest = renderManifest(settings);
  const errors = await AppManifestUtils.validateAgainstSchema(manifest as never);
  if (errors.length > 0) throw new ManifestError(`The manifest does not match its schema:\n${errors.join('\n')}`, errors);
  const zip = new JSZip();
  zip.file('manifest.json', JSON.stringify(manifest, null, 2));
  for (const icon of ['color.png', 'outline.png']) zip.file(icon, readFileSync(path.join(MANIFEST_DIR, icon)));
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}
