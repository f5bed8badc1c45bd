import { reasons } from './reasons.ts';

/** The reason codes every service answers with, from the HTTP layer they share. */
export const RUNTIME_REASONS = reasons({
  'invalid-request': { status: 400, sentence: 'A field of the request is missing or invalid: the details name each one.' },
  'query-parameter-repeated': { status: 400, sentence: 'A query parameter is given more than once: give it once.' },
  'malformed-json': { status: 400, sentence: 'The request body is not valid JSON.' },
  'request-aborted': { status: 400, sentence: 'The client aborted the request before its body arrived.' },
  'bad-request': { status: 400, sentence: 'The request could not be read.' },
  'payload-too-large': { status: 413, sentence: 'The request body is larger than the endpoint accepts.' },
  'unsupported-encoding': { status: 415, sentence: 'The request body uses a content encoding the service does not read.' },
  'unsupported-charset': { status: 415, sentence: 'The request body uses a charset the service does not read.' },
  'route-not-found': { status: 404, sentence: 'No route answers this method and path.' },
  'invalid-duration': { status: 400, sentence: 'The harness clock was given something that is not a duration (31m, 1h30m, 2d, PT31M).' },
  'harness-key-required': { status: 401, sentence: 'The harness endpoints (clock, reset, DNS) need the harness key as a bearer token.' },
  'harness-key-invalid': { status: 401, sentence: 'The bearer token is not the harness key.' },
  'internal-error': { status: 500, sentence: 'Something unexpected failed in the service: its log has the details.' },
});
