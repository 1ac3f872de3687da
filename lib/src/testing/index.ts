/** @fleetgraph/lib/testing: helpers for tests of subgraphs and of the whole stack. */
export {
  ADMIN,
  asUser,
  signedHeaders,
  subgraphQuery,
  subgraphWsClient,
  TEST_IDENTITY_SECRET,
} from './signed.ts';
export { createTestFleet } from './fleet.ts';

export { waitFor } from './waitFor.ts';
export { createLeftovers, type Dispose, type Leftovers } from './leftovers.ts';
export { startSubgraphUnderTest, type SubgraphUnderTest } from './subgraphUnderTest.ts';
