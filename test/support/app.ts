/** The product over a real (in-memory) Azurite, with a clock the test controls. */
import { LeadsApp } from '../../services/app/leadsApp';
import { silentLogger, type Logger } from '../../services/logger';
import type { Tables } from '../../services/storage/tables';
import type { TeamsGateway } from '../../services/delivery/teamsGateway';
import { testConfig } from './settings';

export class FakeClock {
  constructor(private ms: number) {}
  now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
  set(date: Date | string): void {
    this.ms = new Date(date).getTime();
  }
}

export function makeApp(
  tables: Tables,
  options: { clock?: FakeClock; gateway?: TeamsGateway; env?: Record<string, string>; instanceId?: string; log?: Logger } = {},
): LeadsApp {
  return new LeadsApp({
    tables,
    settings: testConfig(options.env),
    log: options.log ?? silentLogger,
    now: options.clock?.now,
    gateway: options.gateway,
    instanceId: options.instanceId,
  });
}
