/** Why a document could not be fetched: the network or the answer, or its size. */
export class FetchFailure extends Error {
  constructor(
    readonly reason: 'unreachable' | 'too-large',
    message: string,
  ) {
    super(message);
  }
}

/**
 * A document at an http(s) URL an admin gave (SAML metadata): redirects
 * followed, at most `timeoutMs`, and refused past `maxBytes`. Failures are
 * FetchFailure, which each service turns into its own reason code.
 */
export async function fetchDocument(url: string, limits: { maxBytes: number; timeoutMs: number }): Promise<string> {
  if (!/^https?:\/\//i.test(url)) throw new FetchFailure('unreachable', `${url} is not an http or https URL.`);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(limits.timeoutMs), redirect: 'follow' });
  } catch (err) {
    throw new FetchFailure('unreachable', `Could not fetch ${url}: ${(err as Error).message}.`);
  }
  if (!response.ok) throw new FetchFailure('unreachable', `${url} answered ${response.status}.`);
  const text = await response.text();
  if (Buffer.byteLength(text) > limits.maxBytes) throw new FetchFailure('too-large', `${url} returned more than ${Math.round(limits.maxBytes / 1024)} KiB.`);
  return text;
}
