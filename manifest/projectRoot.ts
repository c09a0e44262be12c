/** Where the project lives, so the template, icons and build/ are found from manifest/*.ts and from dist/manifest/*.js alike. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ManifestError } from './manifestError';

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new ManifestError(`No package.json above ${from}: cannot locate the project`);
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
export const MANIFEST_DIR = path.join(PROJECT_ROOT, 'manifest');
