/**
 * Refusals that need no network. A Bot Framework token is an RSA-signed JWT with a key id, for
 * this app, not expired; anything else is refused before botbuilder would fetch signing keys
 * from login.botframework.com to verify it.
 */
import { z } from 'zod';

// What botbuilder's token validation accepts (ToBotFromChannelTokenValidationParameters).
const ALGORITHMS = ['RS256', 'RS384', 'RS512'] as const;
const CLOCK_TOLERANCE_SECONDS = 5 * 60;

const jwtHeaderSchema = z.object({ alg: z.enum(ALGORITHMS), kid: z.string().min(1) });
const jwtClaimsSchema = z.object({ exp: z.number(), aud: z.string() });

/** Why the token is refused, or undefined when only a signature check can tell (no header: botbuilder decides). */
export function tokenRefusal(authHeader: string, appId: string | undefined, nowSeconds: number): string | undefined {
  if (!authHeader.trim()) return undefined;
  const match = /^Bearer\s+([\w-]+)\.([\w-]+)\.([\w-]+)$/i.exec(authHeader.trim());
  if (!match) return 'not a signed bearer JWT';
  const header = jwtHeaderSchema.safeParse(decodePart(match[1]!));
  if (!header.success) return 'not signed with RSA and a key id';
  const claims = jwtClaimsSchema.safeParse(decodePart(match[2]!));
  if (!claims.success) return 'no expiry or audience';
  if (claims.data.exp + CLOCK_TOLERANCE_SECONDS < nowSeconds) return 'expired';
  if (appId && claims.data.aud !== appId) return 'issued for another app';
  return undefined;
}

function decodePart(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
