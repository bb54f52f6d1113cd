// One jest run covers unit specs (next to the code) and e2e specs (test/, real local stack).
// The swagger CLI plugin runs inside ts-jest too, so DTO metadata in tests matches `nest build`.
const swaggerPlugin = { path: '<rootDir>/test/support/swagger-plugin-transformer.js' };

const shared = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', astTransformers: { before: [swaggerPlugin] } }],
  },
  moduleNameMapper: {
    '^@app/common(|/.*)$': '<rootDir>/libs/common/src$1',
  },
};

module.exports = {
  // E2E hooks boot a whole app against real servers; give them room on a busy 2-core machine.
  testTimeout: 60_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      rootDir: __dirname,
      roots: ['<rootDir>/src', '<rootDir>/libs'],
      testRegex: '\\.spec\\.ts$',
    },
    {
      ...shared,
      displayName: 'e2e',
      rootDir: __dirname,
      roots: ['<rootDir>/test'],
      testRegex: '\\.e2e-spec\\.ts$',
    },
  ],
};
