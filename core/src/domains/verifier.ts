import { Resolver } from 'node:dns/promises';
import type { VerificationMethod, VerificationOutcome } from './domain.ts';
import { VERIFICATION_FILE_PATH, checkTxtRecords, checkVerificationFile } from './domain.ts';

/** Proves ownership of a domain by looking at the world (DNS, HTTPS) or at the harness. */
export interface DomainVerifier {
  verify(domain: string, token: string, method: VerificationMethod): Promise<VerificationOutcome>;
}

export interface NetworkVerifierOptions {
  /** DNS servers (`host` or `host:port`); the system's when empty. */
  dnsServers?: string[];
  timeoutMs: number;
  /** Where the verification file lives; `{domain}` is replaced. */
  fileUrlTemplate: string;
}

export const DEFAULT_FILE_URL_TEMPLATE = `https://{domain}${VERIFICATION_FILE_PATH}`;

/** The real thing: node's DNS resolver and an HTTP GET, both with a timeout. */
export class NetworkDomainVerifier implements DomainVerifier {
  constructor(private readonly options: NetworkVerifierOptions) {}

  async verify(domain: string, token: string, method: VerificationMethod): Promise<VerificationOutcome> {
    return method === 'dns' ? this.viaDns(domain, token) : this.viaFile(domain, token);
  }

  private async viaDns(domain: string, token: string): Promise<VerificationOutcome> {
    const resolver = new Resolver({ timeout: this.options.timeoutMs, tries: 1 });
    if (this.options.dnsServers?.length) resolver.setServers(this.options.dnsServers);
    try {
      return checkTxtRecords(await resolver.resolveTxt(domain), token);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENODATA' || code === 'ENOTFOUND') return checkTxtRecords([], token);
      return { verified: false, method: 'dns', reason: 'lookup-failed', message: `DNS lookup of ${domain} failed (${code ?? String(err)}).` };
    }
  }

  private async viaFile(domain: string, token: string): Promise<VerificationOutcome> {
    const url = this.options.fileUrlTemplate.replaceAll('{domain}', domain);
    try {
      const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(this.options.timeoutMs) });
      if (response.status === 404) return checkVerificationFile(null, token);
      if (!response.ok) {
        return { verified: false, method: 'http', reason: 'lookup-failed', message: `GET ${url} answered ${response.status}.` };
      }
      // Read at most 64 KiB: the file is a single line.
      const body = (await response.text()).slice(0, 65536);
      return checkVerificationFile(body, token);
    } catch (err) {
      return { verified: false, method: 'http', reason: 'lookup-failed', message: `GET ${url} failed (${(err as Error).message}).` };
    }
  }
}

export interface PublishedRecords {
  txt: string[];
  file: string | null;
}

/**
 * Records published through `/_rehearsal/dns`. While any are published, the
 * harness answers every verification, so tests never depend on the real network.
 */
export class HarnessDns {
  private readonly records = new Map<string, PublishedRecords>();

  publish(domain: string, entry: { txt?: string[]; file?: string | null }): PublishedRecords {
    const current = this.records.get(domain) ?? { txt: [], file: null };
    const next = {
      txt: entry.txt ? [...new Set([...current.txt, ...entry.txt])] : current.txt,
      file: entry.file === undefined ? current.file : entry.file,
    };
    this.records.set(domain, next);
    return next;
  }

  remove(domain: string): boolean {
    return this.records.delete(domain);
  }

  clear(): void {
    this.records.clear();
  }

  get active(): boolean {
    return this.records.size > 0;
  }

  list(): Record<string, PublishedRecords> {
    return Object.fromEntries(this.records);
  }

  verify(domain: string, token: string, method: VerificationMethod): VerificationOutcome {
    const entry = this.records.get(domain);
    return method === 'dns'
      ? checkTxtRecords(
          (entry?.txt ?? []).map((t) => [t]),
          token,
        )
      : checkVerificationFile(entry?.file ?? null, token);
  }
}

export class HarnessAwareVerifier implements DomainVerifier {
  constructor(
    private readonly harness: HarnessDns,
    private readonly network: DomainVerifier,
  ) {}

  async verify(domain: string, token: string, method: VerificationMethod): Promise<VerificationOutcome> {
    return this.harness.active ? this.harness.verify(domain, token, method) : this.network.verify(domain, token, method);
  }
}
