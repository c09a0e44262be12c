/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went inside given windows of
 * the monotonic clock: self time by function and by package/folder, and inclusive time of the
 * functions that matter for a request.
 */
import { readFileSync } from 'node:fs';
import { ROOT } from '../test/support/processes';
import { round } from './stats';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  windowMs: number;
  busyMs: number;
  perRequestBusyMs: number;
  selfByFunction: Array<{ name: string; ms: number; share: number }>;
  selfByArea: Array<{ area: string; ms: number; share: number; perRequestMs: number }>;
  inclusive: Array<{ name: string; ms: number; share: number; perRequestMs: number }>;
}

const IDLE = new Set(['(idle)', '(program)', '(root)']);

/** Where a frame's code lives: a package, node's internals, or a folder of this project. */
function areaOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] ?? url;
  if (url.startsWith('node:')) return 'node internals';
  const local = url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '');
  return local.startsWith('dist/') ? `ours: ${local.split('/')[1]}` : local;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const short = url.replace(/^file:\/\//, '').replace(/.*node_modules\//, '').replace(`${ROOT}/`, '');
  return `${functionName || '(anonymous)'}${short ? ` ${short}:${lineNumber + 1}` : ''}`;
}

export function summarizeProfile(file: string, windows: Array<{ from: number; to: number }>, requests: number, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const area = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let t = profile.startTime;
  const inWindow = (at: number) => windows.some((w) => at >= w.from && at <= w.to);
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (!inWindow(t)) continue;
    const node = byId.get(profile.samples[i] ?? -1);
    if (!node) continue;
    const ms = delta / 1000;
    const name = node.callFrame.functionName;
    if (IDLE.has(name)) continue;
    busy += ms;
    self.set(frameName(node), (self.get(frameName(node)) ?? 0) + ms);
    const a = areaOf(node.callFrame.url, name);
    area.set(a, (area.get(a) ?? 0) + ms);
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id);
      if (!frame || IDLE.has(frame.callFrame.functionName)) continue;
      const key = frameName(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
  }
  const windowMs = windows.reduce((sum, w) => sum + (w.to - w.from) / 1000, 0);
  const per = (ms: number) => round(ms / Math.max(1, requests), 2);
  const share = (ms: number) => round((ms / Math.max(busy, 1e-9)) * 100, 1);
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    windowMs: round(windowMs, 0),
    busyMs: round(busy, 0),
    perRequestBusyMs: per(busy),
    selfByFunction: sorted(self).slice(0, top).map(([name, ms]) => ({ name, ms: round(ms, 0), share: share(ms) })),
    selfByArea: sorted(area).slice(0, top).map(([a, ms]) => ({ area: a, ms: round(ms, 0), share: share(ms), perRequestMs: per(ms) })),
    inclusive: sorted(inclusive)
      .filter(([name]) => !/^(processTicksAndRejections|listOnTimeout|processTimers|emit|runMicrotasks|\(anonymous\) node:)/.test(name))
      .slice(0, top * 2)
      .map(([name, ms]) => ({ name, ms: round(ms, 0), share: share(ms), perRequestMs: per(ms) })),
  };
}
