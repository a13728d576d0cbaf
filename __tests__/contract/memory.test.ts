import { createMemoryBackend } from '../../server/backend';
import { MemoryBroker } from '../../server/broker/memory-broker';
import { describeBroker } from './broker-contract';
import { describeStore } from './store-contract';

const reportErrors = (err: unknown): void => {
  // A handler that throws is part of the contract suite; anything else is a failure.
  if (!(err instanceof Error && err.message === 'handler bug')) throw err;
};

describeStore('memory', async ({ historySize }) => createMemoryBackend({ historySize }, reportErrors));

describeBroker('memory', async () => {
  const broker = new MemoryBroker(reportErrors);
  return { broker, close: () => broker.close() };
});
