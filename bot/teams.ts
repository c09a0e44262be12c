/** Mounts the Teams endpoint (filled in by the bot). */
import type { Server } from 'restify';
import type { Config } from '../services/config';
import type { LeadsApp } from '../services/leadsApp';
import type { Logger } from '../services/logger';

export function mountTeams(_server: Server, _options: { app: LeadsApp; config: Config; log: Logger }): void {}
