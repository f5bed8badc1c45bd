import { expect } from 'chai';
import { z } from 'zod';
import { ConfigError, env, parseEnv } from '../src/index.ts';

describe('runtime/config', () => {
  const schema = z.object({ PORT: env.port(9000), URL: env.url('http://localhost:8000/'), FLAG: env.flag(true), LOG_LEVEL: env.logLevel() });

  it('applies defaults when variables are unset', () => {
    expect(parseEnv(schema, {})).to.deep.equal({ PORT: 9000, URL: 'http://localhost:8000', FLAG: true, LOG_LEVEL: 'info' });
  });

  it('reads the string forms people type', () => {
    expect(parseEnv(schema, { PORT: '7001', URL: 'https://gw.example.com/', FLAG: 'off', LOG_LEVEL: 'debug' })).to.deep.equal({
      PORT: 7001,
      URL: 'https://gw.example.com',
      FLAG: false,
      LOG_LEVEL: 'debug',
    });
  });

  it('names every bad variable, what it expected and what it got', () => {
    let error: unknown;
    try {
      parseEnv(schema, { PORT: 'abc', URL: 'ftp://x', FLAG: 'maybe', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).to.have.length(4);
    expect(problems[0]).to.match(/^PORT: expected a port number.*\(got "abc"\)$/);
    expect(problems.join('\n')).to.include('URL: expected an http(s) URL').and.include('FLAG: expected on or off').and.include('LOG_LEVEL: expected one of');
  });

  it('refuses a port out of range', () => {
    expect(() => parseEnv(schema, { PORT: '70000' })).to.throw(ConfigError, /PORT/);
  });
});
