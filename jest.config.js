/** Jest: TypeScript through ts-jest (transpile only; `npm run typecheck` checks types). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The reliability suite runs real processes: `npm run test:reliability`.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/reliability/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // @microsoft/app-manifest requires strip-bom, which ships only as an ES module: compile it for Jest.
    'node_modules/strip-bom/.+\\.js$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!strip-bom/)'],
  testTimeout: 30000,
  maxWorkers: 2,
  // A test PKI for the run; its root is trusted through NODE_EXTRA_CA_CERTS, which Node reads only
  // at start: so tests always run in workers started after this setup, never in jest's own process.
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  workerIdleMemoryLimit: '1GB',
};
