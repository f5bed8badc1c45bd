import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_REASONS } from '@rehearsal/core/reasons';
import { GATEWAY_REASONS } from '@rehearsal/gateway/reasons';
import { IDP_REASONS } from '@rehearsal/mock-idp/reasons';
import { RUNTIME_REASONS } from '@rehearsal/runtime';
import { withReasonCodes } from '../src/docs/reason-codes.ts';
import { repositoryRoot } from '../../scripts/dist.mjs';

describe('reason codes (issue 15.4)', () => {
  it("the README lists every package's codes as its tables declare them (npm run docs)", () => {
    const readme = readFileSync(join(repositoryRoot(), 'README.md'), 'utf8');
    expect(withReasonCodes(readme), 'run npm run docs').to.equal(readme);
  });

  it('every code has a status between 400 and 599 and a sentence', () => {
    for (const table of [RUNTIME_REASONS.table, CORE_REASONS.table, GATEWAY_REASONS.table, IDP_REASONS.table]) {
      for (const [code, reason] of Object.entries(table)) {
        expect(code).to.match(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        for (const status of [reason.status].flat()) expect(status, code).to.be.within(400, 599);
        expect(reason.sentence, code).to.match(/^[A-Z`'].*[.:)]$/);
      }
    }
  });
});
