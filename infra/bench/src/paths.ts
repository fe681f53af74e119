// Where things are. Every module of this package sits at infra/bench/{src,dist}/, so
// paths relative to this file are the same whether the code runs compiled or from sources.
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));
/** Full runs are kept here (and committed); quick runs go to `quick/`, which git ignores. */
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
export const QUICK_RESULTS_DIR = fileURLToPath(new URL('../results/quick/', import.meta.url));
