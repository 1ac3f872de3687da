/**
 * The page sizes of every connection of the graph: the subgraphs apply them (lib/subgraph connection.ts), and the
 * gateway prices a connection asked for without `first` at the page the server will actually return.
 */

/** the page size when `first` is left out */
export const DEFAULT_PAGE_SIZE = 100;
/** the largest `first` a connection accepts */
export const MAX_PAGE_SIZE = 1000;
