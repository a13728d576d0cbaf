import { MemoryBroker } from '../../server/broker/memory-broker';
import { MemoryStore } from '../../server/store/memory-store';
import { describeBroker } from './broker-contract';
import { describeStore } from './store-contract';

const handlerErrors: unknown[] = [];

describeStore('memory', async ({ historySize }) => {
  const broker = new MemoryBroker((err) => handlerErrors.push(err));
  const store = new MemoryStore({ historySize, publish: (e) => void broker.publish(e) });
  return { store, broker, close: async () => { await store.close(); await broker.close(); } };
});

describeBroker('memory', async () => {
  const broker = new MemoryBroker((err) => handlerErrors.push(err));
  return { broker, close: () => broker.close() };
});
