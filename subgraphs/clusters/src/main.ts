import { runSubgraphs } from '@fleetgraph/lib/subgraph';

import { launcher } from './subgraph.ts';

/** process entry of the clusters subgraph, run alone (as a deployment runs it) */
runSubgraphs([launcher]);
