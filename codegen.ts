/**
 * GraphQL code generation (graphql-codegen) for the subgraphs: one `generates` entry per schema/<domain>.graphql,
 * typescript + typescript-resolvers with `federation: true`. The subgraph issues add their entries; until then
 * there is nothing to generate.
 */
const config = {
  overwrite: true,
  generates: {},
};

export default config;
