// `routing_strategy`: where new objects go — `pack` fills backends in config order,
// `spread` prefers the emptiest (rebalance.strategy takes the same two values).

import { choice } from '../fields.js';
import { defineSection } from '../section.js';

export const ROUTING_STRATEGIES = ['pack', 'spread'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

export const routingStrategySection = defineSection({
  key: 'routing_strategy',
  field: 'routingStrategy',
  schema: choice<RoutingStrategy>('pack', ROUTING_STRATEGIES),
  normalise: (file: { routing_strategy: RoutingStrategy }): RoutingStrategy => file.routing_strategy,
});
