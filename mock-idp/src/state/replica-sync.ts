import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import { endAfter, sendError, type Logger } from '@rehearsal/runtime';
import { IDP_REASONS } from '../reasons.ts';
import type { StateChanges } from './state-file.ts';

/**
 * Every request to an IdP replica first takes up what the other replicas
 * changed (their logins, sessions, users, service providers...), and its answer
 * leaves only once what it changed is written where they read it: a browser's
 * next request, on whichever replica the proxy hands it to, finds it there.
 * While Redis does not answer, requests get 503 `state-unavailable`.
 */
export function followReplicas(
  app: Express,
  state: { catchUp(): Promise<StateChanges>; flush(): Promise<unknown> },
  refresh: (changes: StateChanges) => void,
  logger: Logger,
): Express {
  const dispatcher = app as unknown as { handle(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void };
  const dispatch = dispatcher.handle.bind(app);
  dispatcher.handle = (req, res, next) => {
    endAfter(res, () => state.flush());
    state.catchUp().then(
      (changes) => {
        try {
          refresh(changes);
        } catch (err) {
          logger.error('could not take up what another replica changed', { error: (err as Error).message });
        }
        dispatch(req, res, next);
      },
      (err: unknown) => {
        logger.warn('shared state unavailable', { error: (err as Error).message });
        sendError(res, IDP_REASONS.error('state-unavailable', 'The IdP cannot reach its shared state (Redis): try again shortly.'), logger);
      },
    );
  };
  return app;
}
