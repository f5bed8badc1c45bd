import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { describeIssues } from '@rehearsal/runtime';
import { scenarioSchema, type Scenario } from './schema.ts';
import { crossReferenceProblems } from './references.ts';

/** One thing wrong with a scenario file, where a person can find it. */
export interface ScenarioProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted path inside the document, for example `policies.0.idleSession`. */
  path: string;
  message: string;
  expected?: string;
}

export class ScenarioError extends Error {
  constructor(readonly problems: ScenarioProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ScenarioError';
  }
}

export const formatProblem = (p: ScenarioProblem) =>
  `${p.file}:${p.line}:${p.column}: ${p.path || '(top)'}: ${p.message}${p.expected ? ` (expected ${p.expected})` : ''}`;

/** Reads and validates a scenario file; every problem names its file, line and path. */
export function readScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError([{ file, line: 0, column: 0, path: '', message: `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  const scenario = parseScenario(text, file);
  // An external IdP's metadata file is named relative to the scenario.
  if (scenario.idp?.metadata && !/^https?:\/\//i.test(scenario.idp.metadata)) scenario.idp.metadata = resolve(dirname(file), scenario.idp.metadata);
  return scenario;
}

export function parseScenario(text: string, file = '<scenario>'): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ScenarioError(
      doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0]);
        return { file, line: at.line, column: at.col, path: '', message: e.message.split('\n')[0]! };
      }),
    );
  }
  const where = (path: (string | number)[]) => locate(doc, lines, path);
  const parsed = scenarioSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    throw new ScenarioError(
      describeIssues(parsed.error.issues, '').map((d) => ({
        file,
        ...where(d.path ? d.path.split('.') : []),
        path: d.path ?? '',
        message: d.message,
        ...(d.expected ? { expected: d.expected } : {}),
      })),
    );
  }
  const problems = crossReferenceProblems(parsed.data);
  if (problems.length) {
    throw new ScenarioError(problems.map((p) => ({ file, ...where(p.path), path: p.path.join('.'), message: p.message })));
  }
  return parsed.data;
}

/** The line and column of the deepest node of the path that exists (the parent of a missing key). */
function locate(doc: Document, lines: LineCounter, path: (string | number)[]): { line: number; column: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) {
      const at = lines.linePos(node.range[0]);
      return { line: at.line, column: at.col };
    }
  }
  return { line: 1, column: 1 };
}
