/**
 * `npm run package`: writes build/appPackage.zip, ready for a Teams admin to upload. With
 * `-- --trial`, a package to try the app out: the publisher's name and URLs may be placeholders.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import JSZip from 'jszip';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../services/errors';
import { buildAppPackage } from './appPackage';
import { packageSettingsFromEnv } from './packageSettings';
import { PROJECT_ROOT } from './projectRoot';

async function main(): Promise<void> {
  const envFile = path.join(PROJECT_ROOT, '.env');
  // As for `npm start`: variables already set in the shell win over .env. The Agents Toolkit
  // (TEAMSFX_ENV) gives its environment's settings itself: .env is this machine's, not that environment's.
  if (!process.env.TEAMSFX_ENV && existsSync(envFile)) process.loadEnvFile(envFile);
  const { version } = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')));

  const trial = process.argv.includes('--trial');
  const zip = await buildAppPackage(packageSettingsFromEnv(process.env, version, { trial }));

  const out = path.join(PROJECT_ROOT, 'build', 'appPackage.zip');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, zip);
  // Unzipped too, for the Agents Toolkit's teamsApp/validateManifest (m365agents.yml).
  const folder = path.join(PROJECT_ROOT, 'build', 'appPackage');
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const files = await JSZip.loadAsync(zip);
  for (const [name, file] of Object.entries(files.files)) writeFileSync(path.join(folder, name), await file.async('nodebuffer'));
  const shown = path.relative(process.cwd(), out);
  process.stdout.write(`${shown.startsWith('..') ? out : shown} (${zip.length} bytes)${trial ? ', a trial package: not for a tenant' : ''}\n`);
}

main().catch((error: unknown) => {
  // Our named errors are written for the person at the terminal; anything else is a bug and keeps its stack.
  const reason = error instanceof AppError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`npm run package failed: ${reason}\n`);
  process.exit(1);
});
