// `npm run docs`: writes the README's generated sections (the reason codes) from the packages' tables.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot } from '../../../scripts/dist.mjs';
import { withReasonCodes } from './reason-codes.ts';

const readme = join(repositoryRoot(), 'README.md');
writeFileSync(readme, withReasonCodes(readFileSync(readme, 'utf8')));
console.log(`${readme}: reason codes written`);
