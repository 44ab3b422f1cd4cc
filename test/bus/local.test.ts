import { LocalBusConfig, LocalHub, createBus } from '../../src/bus/index.ts';
import { busContract } from './contract.ts';

busContract('local', async (settings) => {
  const hub = new LocalHub(LocalBusConfig.parse({ kind: 'local', ...settings }));
  return {
    node: () => createBus({ kind: 'local', ...settings }, { hub }),
    injectRawJob: async (_database, data) => hub.enqueue(data),
    injectRawAlert: async (database, event, data) => {
      hub.alerts.push({ at: Date.now(), data, subject: { database, event } });
      for (const s of hub.alertSubscribers) s({ database, event, data });
    },
    dispose: async () => {},
  };
});
