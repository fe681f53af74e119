// SIGHUP re-reads the TLS certificate and key (rotation without a restart): the CLI installs
// this once the gateway listens.
import type { GatewayDeps } from '../context.js';
import type { Gateway } from '../server.js';

/**
 * While the gateway serves TLS, SIGHUP re-reads its certificate and key (rotation without a
 * restart). Returns the function that stops listening for the signal.
 */
export function reloadTlsOnSighup(gateway: Gateway, config: GatewayDeps['config'], logger: GatewayDeps['logger']): () => void {
  if (!config.server.tls) return () => {};
  const onHangup = () => {
    try {
      gateway.reloadTls();
      logger.info({ certFile: config.server.tls?.certFile }, 'TLS certificate reloaded');
    } catch (err) {
      logger.error({ err }, 'TLS certificate reload failed; the previous certificate stays in use');
    }
  };
  process.on('SIGHUP', onHangup);
  return () => process.off('SIGHUP', onHangup);
}
