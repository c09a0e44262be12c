import { loadConfig, type Config } from '../../services/app/config';

export const ADMIN_ID = '00000000-0000-4000-8000-00000000000a';
export const PARTNER_ADMIN_ID = '00000000-0000-4000-8000-00000000000b';
export const USER_ID = '00000000-0000-4000-8000-00000000000c';
/** Someone with no role in any test's settings. */
export const NOBODY_ID = '00000000-0000-4000-8000-00000000000d';

/** Settings as the app would load them, with test admins; override any variable. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LEAD_ADMIN_IDS: ADMIN_ID, PARTNER_ADMIN_IDS: PARTNER_ADMIN_ID, LOG_LEVEL: 'silent', PORT: '0', ...env });
}
