/** A refusal from one of the services, with its reason code. */
export class ApiError extends Error {
  constructor(
    readonly service: string,
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(`${service} answered ${status} ${code}: ${message}`);
    this.name = 'ApiError';
  }
}

/** A service that did not answer at all. */
export class ServiceUnreachable extends Error {
  constructor(
    readonly service: string,
    readonly url: string,
    cause: unknown,
  ) {
    super(
      `${service} does not answer at ${url} (${(cause as Error).cause ? String(((cause as Error).cause as Error).message) : String(cause)}): is the stack up? Start it with \`rehearsal up\`.`,
    );
    this.name = 'ServiceUnreachable';
  }
}

/** What a create answers, as far as the CLI reads it. */
export interface Created {
  id: string;
}

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** JSON over HTTP to one Rehearsal service; non-2xx answers become ApiErrors with the service's reason code. */
export class ServiceClient {
  constructor(
    readonly service: string,
    readonly baseUrl: string,
    private readonly bearer?: string,
  ) {}

  async send<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const text = typeof body === 'string';
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        redirect: 'manual',
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': text ? 'text/csv' : 'application/json' }),
          ...(this.bearer ? { authorization: `Bearer ${this.bearer}` } : {}),
          ...headers,
        },
        ...(body === undefined ? {} : { body: text ? body : JSON.stringify(body) }),
      });
    } catch (err) {
      throw new ServiceUnreachable(this.service, this.baseUrl, err);
    }
    const raw = await response.text();
    let parsed: unknown = raw;
    if ((response.headers.get('content-type') ?? '').includes('json') && raw) parsed = JSON.parse(raw);
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  /** Like send, but a refusal throws. */
  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const reply = await this.send<T>(method, path, body);
    if (reply.status >= 400) {
      const error = (reply.body as { error?: { code?: string; message?: string; details?: unknown[] }; detail?: string })?.error;
      throw new ApiError(
        this.service,
        reply.status,
        error?.code ?? 'http-' + reply.status,
        error?.message ?? String((reply.body as { detail?: string })?.detail ?? reply.body),
        error?.details ?? [],
      );
    }
    return reply.body;
  }
}
