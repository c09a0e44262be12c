import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The architecture, as import rules (README "How it works" draws it). Each folder of services/
 * may import only the folders below it, and the shared root modules (errors, logger):
 *
 *   leads ← storage ← useCases ← delivery ← partnerCenter ← schedule ← app
 *
 * Nothing in services/ imports bot/, cards/, botbuilder or restify; cards/ knows only the lead
 * domain; bot/ is the only place botbuilder is imported.
 */
const SERVICE_LAYERS = {
  leads: [],
  storage: ['leads'],
  useCases: ['leads', 'storage'],
  delivery: ['leads', 'storage'],
  partnerCenter: ['leads', 'storage', 'useCases', 'delivery'],
  schedule: ['leads', 'storage', 'useCases', 'delivery', 'partnerCenter'],
  app: ['leads', 'storage', 'useCases', 'delivery', 'partnerCenter', 'schedule'],
};
const SHARED = ['errors', 'logger', 'retryAfter', 'inParallel'];

const BOT_FRAMEWORK = { group: ['botbuilder', 'botbuilder-*', 'botframework-*'], message: 'Only bot/ talks to botbuilder (it is archived upstream: a move to the Agents SDK must touch one folder).' };
const HTTP_SERVER = { group: ['restify', 'restify-*'], message: 'Only bot/ serves HTTP.' };
const EDGES = { regex: '^(\\.\\./)+(bot|cards|manifest|scripts|bench|test)(/|$)', message: 'services/ is the product without its edges: it never imports bot/, cards/ or tooling.' };

/** A config block that forbids these import patterns in these files. */
const restrict = (files, ...patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });

const layerRules = Object.entries(SERVICE_LAYERS).map(([folder, below]) =>
  restrict([`services/${folder}/**/*.ts`], BOT_FRAMEWORK, HTTP_SERVER, EDGES, {
    // Anything outside this folder that is not a folder below it (or a shared module).
    regex: `^\\.\\./(?!(${[...below, ...SHARED].join('|')})(/|$))`,
    message: `services/${folder}/ may import only ${below.map((b) => `services/${b}/, `).join('')}services/{${SHARED.join(',')}}: imports point one way (see eslint.config.mjs).`,
  }),
);

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', '.data/', 'coverage/', '*.js', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The shared root of services/ imports none of its folders.
  restrict(['services/*.ts'], BOT_FRAMEWORK, HTTP_SERVER, EDGES, { regex: '^\\./[^/]+/', message: 'The shared root of services/ (errors, logger, retryAfter, inParallel) is imported by every folder and imports none of them.' }),
  ...layerRules,
  restrict(
    ['cards/**/*.ts'],
    BOT_FRAMEWORK,
    HTTP_SERVER,
    { regex: '^\\.\\./services/(?!leads/)', message: 'cards/ renders the lead domain (services/leads/) and knows nothing of storage or delivery.' },
    { regex: '^\\.\\./bot(/|$)', message: 'cards/ does not know the bot that sends them.' },
  ),
  restrict(['manifest/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'index.ts'], BOT_FRAMEWORK),
  { files: ['bench/**', 'test/**'], rules: { 'no-console': 'off' } },
  // Tests read JSON answers loosely on purpose: the assertions check their shape.
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
