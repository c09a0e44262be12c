/** JSON an outside service answered with: undefined for an empty body or one that is not JSON (a proxy's HTML error page). */
export function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
