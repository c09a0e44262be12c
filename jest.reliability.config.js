/**
 * `npm run test:reliability`: load, crashes, outages, bad input and security against real
 * processes (the built app, Azurite on its own). One file at a time: each starts its own processes.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/reliability'],
  testPathIgnorePatterns: [],
  testTimeout: 120000,
  maxWorkers: 1,
};
