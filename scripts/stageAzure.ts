/**
 * `npm run stage:azure`: what App Service runs, in build/azure — the built app (dist/), package.json
 * and the lock file, and the production dependencies at their locked versions, without the
 * embedded storage (Azure has Table Storage: the app refuses to start without it there). The
 * Agents Toolkit zip-deploys that folder (m365agents.yml); App Service builds nothing and starts
 * `node dist/index.js` (infra/azure.bicep). Nothing under test/, no devDependency, no .env.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../manifest/projectRoot';

export const STAGE_DIR = path.join(PROJECT_ROOT, 'build', 'azure');

function main(): void {
  rmSync(STAGE_DIR, { recursive: true, force: true });
  mkdirSync(STAGE_DIR, { recursive: true });
  cpSync(path.join(PROJECT_ROOT, 'dist'), path.join(STAGE_DIR, 'dist'), {
    recursive: true,
    // The tests, the bench and the tools are built too: not for App Service.
    filter: (source) => !/[\\/]dist[\\/](test|bench)([\\/]|$)/.test(source) && !source.endsWith('.map'),
  });
  cpSync(path.join(PROJECT_ROOT, 'package-lock.json'), path.join(STAGE_DIR, 'package-lock.json'));
  // Without the embedded storage (Azurite, a third of the dependencies): Azure has Table Storage.
  const manifest = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  delete manifest.dependencies.azurite;
  writeFileSync(path.join(STAGE_DIR, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  // The locked versions, less what only Azurite needed.
  // npm's own script through Node (as `npm run` names it): Windows runs no npm.cmd without a shell.
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  execFileSync(npm[0]!, [...npm.slice(1), 'install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-save'], { cwd: STAGE_DIR, stdio: 'inherit', shell: npm.length === 1 && process.platform === 'win32' });
  process.stdout.write(`${path.relative(process.cwd(), STAGE_DIR) || STAGE_DIR}: ready to zip-deploy\n`);
}

if (require.main === module) main();
