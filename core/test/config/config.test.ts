import { expect } from 'chai';
import { ConfigError } from '@rehearsal/runtime';
import { readCoreConfig } from '../../src/config.ts';

describe('core/config', () => {
  it("validates core's own variables", () => {
    const config = readCoreConfig({ CORE_PORT: '9100', GATEWAY_URL: 'http://gw:8000/', CORE_DNS_SERVERS: '127.0.0.1:5353, 10.0.0.1' });
    expect(config).to.include({ CORE_PORT: 9100, GATEWAY_URL: 'http://gw:8000', REHEARSAL_HARNESS: true });
    expect(config.CORE_DNS_SERVERS).to.deep.equal(['127.0.0.1:5353', '10.0.0.1']);
    expect(() => readCoreConfig({ CORE_ADMIN_KEY: 'short' })).to.throw(ConfigError, /CORE_ADMIN_KEY: must be at least 16 characters/);
    expect(() => readCoreConfig({ CORE_DOMAIN_FILE_URL: 'https://example.com/file' })).to.throw(ConfigError, /\{domain\}/);
  });
});
