export { EventQueue, QueueOverflowError } from './eventQueue.ts';
