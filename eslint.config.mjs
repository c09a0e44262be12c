import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The architecture, as import rules (README "How it works" draws it). Each folder of services/
 * may import only the folders named for it, and the shared root modules (errors, logger, …):
 *
 *   leads ← storage ← useCases, changes ← derived, delivery ← partnerCenter, schedule ← app
 *
 * `changes/` publishes every lead change; the reactions (lists, search, sums in `derived/`, Teams
 * cards in `delivery/`, the schedule, Partner Center's write-back) subscribe to it and never to
 * each other. Nothing in services/ imports an edge, botbuilder or restify; cards/ knows only the
 * lead domain. The two edges: teams/ (the only folder that imports botbuilder) and http/ (the only
 * one that imports restify) call the product's use cases (services/app's Product), never its
 * stores, and neither imports the other.
 */
const SERVICE_LAYERS = {
  leads: [],
  storage: ['leads'],
  useCases: ['leads', 'storage'],
  changes: ['leads', 'storage'],
  derived: ['leads', 'storage', 'changes'],
  delivery: ['leads', 'storage', 'useCases', 'changes'],
  partnerCenter: ['leads', 'storage', 'useCases', 'changes', 'delivery'],
  schedule: ['leads', 'storage', 'useCases', 'changes', 'delivery'],
  app: ['leads', 'storage', 'useCases', 'changes', 'derived', 'delivery', 'partnerCenter', 'schedule'],
};
const SHARED = ['errors', 'logger', 'retryAfter', 'inParallel', 'azureIdentity', 'identityProvider', 'json', 'keyVault', 'telemetry'];

const BOT_FRAMEWORK = { group: ['botbuilder', 'botbuilder-*', 'botframework-*'], message: 'Only teams/ talks to botbuilder (it is archived upstream: a move to the Agents SDK must touch one folder).' };
const HTTP_SERVER = { group: ['restify', 'restify-*'], message: 'Only http/ serves HTTP.' };
const EDGES = { regex: '^(\\.\\./)+(teams|http|cards|manifest|scripts|bench|test|main)(/|$)', message: 'services/ is the product without its edges: it never imports teams/, http/, cards/ or tooling.' };
/** What an edge may import of services/: the use cases the product offers, the lead domain, the shared root, and the Teams port it implements. */
const ONLY_USE_CASES = (except) => ({
  regex: `^(\\.\\./)+services/(?!(app/product|app/config|leads|useCases|${SHARED.join('|')}${except ? `|${except}` : ''})(/|$))`,
  message: 'An edge calls the product\'s use cases (services/app/product.ts), never a store, a reaction or a slice directly.',
});

/** A config block that forbids these import patterns in these files. */
const restrict = (files, ...patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });

/** How deep a folder of services/ nests its own subfolders at most (a slice's parts); deeper is refused. */
const MAX_DEPTH = 4;

/**
 * A folder of services/ may import itself, the folders below it and the shared root. The rules
 * see only the import's text, so there is one block per depth: at depth d, `../` × d leaves the
 * folder, and what follows must be allowed.
 */
const layerRules = Object.entries(SERVICE_LAYERS).flatMap(([folder, below]) => {
  const allowed = [...below, ...SHARED].join('|');
  const message = `services/${folder}/ may import only ${below.map((b) => `services/${b}/, `).join('')}services/{${SHARED.join(',')}}: imports point one way (see eslint.config.mjs).`;
  return Array.from({ length: MAX_DEPTH }, (_, i) => {
    const depth = i + 1;
    const files = [`services/${folder}/${'*/'.repeat(i)}*.ts`];
    return restrict(files, BOT_FRAMEWORK, HTTP_SERVER, EDGES, { regex: `^(\\.\\./){${depth + 1},}`, message: 'services/ never imports what is outside it.' }, { regex: `^(\\.\\./){${depth}}(?!(${allowed})(/|$))`, message });
  });
});
const tooDeep = restrict([`services/*/${'*/'.repeat(MAX_DEPTH)}**/*.ts`], { regex: '.', message: `services/ nests at most ${MAX_DEPTH} folders deep: the import rules cannot see deeper.` });

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
  restrict(['services/*.ts'], BOT_FRAMEWORK, HTTP_SERVER, EDGES, { regex: '^\\./[^/]+/', message: 'The shared root of services/ (errors, logger, retryAfter, inParallel, azureIdentity, identityProvider, json, keyVault, telemetry) is imported by every folder and imports none of them.' }),
  ...layerRules,
  tooDeep,
  restrict(['teams/**/*.ts'], HTTP_SERVER, ONLY_USE_CASES('delivery/teamsGateway'), { regex: '^(\\.\\./)+http(/|$)', message: 'The Teams edge and the HTTP edge are two rooms: teams/ never imports http/.' }),
  restrict(['http/**/*.ts'], BOT_FRAMEWORK, ONLY_USE_CASES(), { regex: '^(\\.\\./)+teams(/|$)', message: 'The Teams edge and the HTTP edge are two rooms: http/ never imports teams/ (main.ts hands it the Teams endpoint).' }),
  restrict(
    ['cards/**/*.ts'],
    BOT_FRAMEWORK,
    HTTP_SERVER,
    { regex: '^\\.\\./services/(?!leads/)', message: 'cards/ renders the lead domain (services/leads/) and knows nothing of storage or delivery.' },
    { regex: '^\\.\\./(teams|http)(/|$)', message: 'cards/ does not know the edges that send them.' },
  ),
  restrict(['manifest/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'index.ts', 'main.ts'], BOT_FRAMEWORK, HTTP_SERVER),
  { files: ['bench/**', 'test/**'], rules: { 'no-console': 'off' } },
  // Tests read JSON answers loosely on purpose: the assertions check their shape.
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
