/**
 * CPU time the processes of a run spend over a phase (the server, Azurite and the bench itself),
 * from /proc: what an Accept or a lead costs in CPU on this machine, and the throughput those
 * costs allow on its cores, whatever the wall clock says.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { round } from './stats';

/** Kernel clock ticks per second (utime and stime in /proc/<pid>/stat count these). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU of a process so far, in ms. */
function processCpuMs(pid: number): number {
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name and state.
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000;
}

export interface CpuCost {
  /** CPU ms per unit of work (an Accept, a lead), by process. */
  serverMs: number;
  azuriteMs: number;
  benchMs: number;
  /** Units a second the cores allow at these costs: the server's one JavaScript thread, and all cores together. */
  serverCeiling: number;
  machineCeiling: number;
  cores: number;
}

/** Starts counting; `stop(units)` gives each process's CPU per unit since then. */
export function cpuMeter(pids: { server: number; azurite: number }) {
  const start = { server: processCpuMs(pids.server), azurite: processCpuMs(pids.azurite), bench: process.cpuUsage() };
  return {
    stop(units: number): CpuCost {
      const bench = process.cpuUsage(start.bench);
      const serverMs = (processCpuMs(pids.server) - start.server) / units;
      const azuriteMs = (processCpuMs(pids.azurite) - start.azurite) / units;
      const benchMs = (bench.user + bench.system) / 1000 / units;
      const cores = cpus().length;
      return {
        serverMs: round(serverMs, 1),
        azuriteMs: round(azuriteMs, 1),
        benchMs: round(benchMs, 1),
        serverCeiling: round(1000 / serverMs, 0),
        machineCeiling: round((cores * 1000) / (serverMs + azuriteMs + benchMs), 0),
        cores,
      };
    },
  };
}

/** "server 9.1 ms (one thread: ≤ 110/s) + Azurite 4.9 + bench 1.2 = 15.2 ms → 2 cores: ≤ 132/s". */
export function cpuText(cost: CpuCost): string {
  const total = round(cost.serverMs + cost.azuriteMs + cost.benchMs, 1);
  return `server ${cost.serverMs} ms (one thread: ≤ ${cost.serverCeiling}/s) + Azurite ${cost.azuriteMs} + bench ${cost.benchMs} = ${total} ms → ${cost.cores} cores: ≤ ${cost.machineCeiling}/s`;
}
