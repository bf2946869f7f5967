/** The black-box checks of the example service (example-service-suite.ts) on examples/express. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLE_SERVICES } from './run-service';
import { describeExampleService } from './example-service-suite';

jest.setTimeout(60_000);

describe('the example service examples/express', () => describeExampleService('express'));

// One file per example lets Jest run the examples side by side: none may be left without one.
it('every example service has its example-service.<name>.test.ts', () => {
  const missing = EXAMPLE_SERVICES.filter(
    (name) => !existsSync(path.join(__dirname, `example-service.${name}.test.ts`)),
  );
  expect(missing).toEqual([]);
});
