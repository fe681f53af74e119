// `rebalance.*`: moving copies between backends in the background (placement service, one
// process at a time): `pack` fills backends in config order, `spread` evens out their
// utilisation.

import type { z } from 'zod';
import { boolean, choice, duration, integer, ratio, section } from '../fields.js';
import { defineSection } from '../section.js';
import { HOUR } from '../units.js';
import { ROUTING_STRATEGIES, type RoutingStrategy } from './routing-strategy.js';

export interface RebalanceConfig {
  enabled: boolean;
  /** `pack`: fill backends in config order; `spread`: even out utilisation. */
  strategy: RoutingStrategy;
  intervalMs: number;
  /** Most copies moved per run. */
  batchSize: number;
  /** spread: act when the utilisation of the fullest and emptiest backend differ by more than this ratio. */
  threshold: number;
  /** Copies moved at once, by the rebalancer and by drains. */
  concurrency: number;
}

const schema = section({
  enabled: boolean(false),
  strategy: choice<RoutingStrategy>('pack', ROUTING_STRATEGIES),
  interval: duration(6 * HOUR, { allowZero: false }),
  batch_size: integer(100, { min: 1 }),
  threshold: ratio(0.1, 1),
  concurrency: integer(5, { min: 1 }),
});

type Reads = { rebalance: z.output<typeof schema> };

export const rebalanceSection = defineSection({
  key: 'rebalance',
  field: 'rebalance',
  schema,
  normalise: ({ rebalance }: Reads): RebalanceConfig => ({
    enabled: rebalance.enabled,
    strategy: rebalance.strategy,
    intervalMs: rebalance.interval,
    batchSize: rebalance.batch_size,
    threshold: rebalance.threshold,
    concurrency: rebalance.concurrency,
  }),
});
