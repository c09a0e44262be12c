/** `npm run package`: writes build/appPackage.zip from the settings (MicrosoftAppId, TEAMS_APP_ID, BOT_DOMAIN). */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildAppPackage, ManifestError } from './appPackage';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const env = process.env;
  const botId = env.MicrosoftAppId?.trim();
  if (!botId) {
    process.stderr.write('MicrosoftAppId is not set: the package needs the Azure Bot app id (Azure portal → your bot → Configuration).\n');
    process.exit(1);
  }
  const { version } = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync('package.json', 'utf8'))) as { version: string };
  const zip = await buildAppPackage({
    botId,
    appId: env.TEAMS_APP_ID?.trim() || botId,
    version: env.APP_VERSION?.trim() || version,
    validDomains: env.BOT_DOMAIN?.trim() ? [env.BOT_DOMAIN.trim()] : [],
  });
  mkdirSync('build', { recursive: true });
  const out = path.join('build', 'appPackage.zip');
  writeFileSync(out, zip);
  process.stdout.write(`${out} (${zip.length} bytes)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ManifestError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
