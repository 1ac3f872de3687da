import { QueueOverflowError } from '../async/index.ts';

/** thrown from an informer's `events()` iterator whose consumer fell more than `bufferSize` events behind */
export class InformerOverflowError extends QueueOverflowError {
  constructor(bufferSize: number) {
    super(
      bufferSize,
      `informer events consumer fell more than ${bufferSize} events behind; resync from the cache`,
    );
    this.name = 'InformerOverflowError';
  }
}
