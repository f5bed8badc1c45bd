// The containers' healthcheck: the service named by REHEARSAL_SERVICE answers /healthz on its port.
const portVariable = { core: 'CORE_PORT', 'mock-idp': 'IDP_PORT', gateway: 'GATEWAY_PORT', console: 'CONSOLE_PORT' }[process.env.REHEARSAL_SERVICE ?? ''];
if (!portVariable) {
  console.error(`REHEARSAL_SERVICE must be core, mock-idp, gateway or console, not "${process.env.REHEARSAL_SERVICE}"`);
  process.exit(1);
}
const response = await fetch(`http://127.0.0.1:${process.env[portVariable]}/healthz`).catch(() => undefined);
process.exit(response?.ok ? 0 : 1);
