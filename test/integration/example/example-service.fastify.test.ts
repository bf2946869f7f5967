/** The black-box checks of the example service (example-service-suite.ts) on examples/fastify. */
import { describeExampleService } from './example-service-suite';

jest.setTimeout(60_000);

describe('the example service examples/fastify', () => describeExampleService('fastify'));
