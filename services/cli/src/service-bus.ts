// One service's view of a bus that may be shared by several services of the process (the
// in-process bus under `serve`): its subscriptions are tagged with the service, so the
// spans of the events it consumes say which service handled them.
import type { EventBus } from '@s3o/bus';

export function busOfService(bus: EventBus, service: string): EventBus {
  return {
    subscribe: (sub) => bus.subscribe({ ...sub, service: sub.service ?? service }),
    notify: () => bus.notify(),
    start: () => bus.start(),
    ready: () => bus.ready(),
    isConnected: () => bus.isConnected(),
    stop: () => bus.stop(),
  };
}
