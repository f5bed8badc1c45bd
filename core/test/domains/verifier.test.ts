import { expect } from 'chai';
import * as dnsPacket from 'dns-packet';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verificationRecord } from '../../src/domains/domain.ts';
import { HarnessAwareVerifier, HarnessDns, NetworkDomainVerifier, type DomainVerifier } from '../../src/domains/verifier.ts';

/**
 * The network verifier against a real DNS server and a real HTTP server on
 * loopback: node's resolver and fetch do the work, nothing is mocked.
 */
describe('domains/verifier', () => {
  const token = 'real-token-abc';
  let dnsServer: Socket;
  let dnsPort: number;
  let web: Server;
  let webPort: number;
  const dnsQueries: string[] = [];
  const zone: Record<string, string[]> = { 'acme.com': ['v=spf1 -all', verificationRecord(token)], 'wrong.example': [verificationRecord('other')] };

  before(async () => {
    // A real UDP DNS server on loopback: dns-packet encodes, node's resolver asks.
    dnsServer = createSocket('udp4');
    dnsServer.on('message', (message, peer) => {
      const query = dnsPacket.decode(message);
      const question = query.questions![0]!;
      dnsQueries.push(question.name);
      const records = zone[question.name];
      const answer = dnsPacket.encode({
        type: 'response',
        id: query.id,
        flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (records ? 0 : 3), // rcode 3: NXDOMAIN
        questions: query.questions,
        answers: (records ?? []).map((data) => ({ type: 'TXT' as const, name: question.name, ttl: 60, data })),
      });
      dnsServer.send(answer, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => dnsServer.bind(0, '127.0.0.1', resolve));
    dnsPort = dnsServer.address().port;

    web = createServer((req, res) => {
      if (req.url === '/acme.com/atlassian-domain-verification.html') res.end(verificationRecord(token) + '\n');
      else if (req.url === '/wrong.example/atlassian-domain-verification.html') res.end('hello');
      else if (req.url?.startsWith('/broken.example/')) {
        res.statusCode = 503;
        res.end();
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    webPort = (web.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise<void>((resolve) => dnsServer.close(resolve));
    await new Promise((resolve) => web.close(resolve));
  });

  const verifier = () =>
    new NetworkDomainVerifier({
      dnsServers: [`127.0.0.1:${dnsPort}`],
      timeoutMs: 2000,
      fileUrlTemplate: `http://127.0.0.1:${webPort}/{domain}/atlassian-domain-verification.html`,
    });

  it('verifies by a TXT record served by a real DNS server', async () => {
    const outcome = await verifier().verify('acme.com', token, 'dns');
    expect(outcome).to.deep.include({ verified: true, method: 'dns' });
    expect(dnsQueries).to.include('acme.com');
  });

  it('reports txt-record-missing with what it found, and for a name that does not exist', async () => {
    const wrong = await verifier().verify('wrong.example', token, 'dns');
    expect(wrong).to.deep.include({ verified: false, reason: 'txt-record-missing' });
    expect((wrong as { found: string[] }).found).to.deep.equal([verificationRecord('other')]);
    expect(await verifier().verify('nowhere.example', token, 'dns')).to.deep.include({ verified: false, reason: 'txt-record-missing' });
  });

  it('reports lookup-failed when the DNS server does not answer', async () => {
    const silent = new NetworkDomainVerifier({ dnsServers: ['127.0.0.1:9'], timeoutMs: 200, fileUrlTemplate: 'http://127.0.0.1:9/{domain}' });
    expect(await silent.verify('acme.com', token, 'dns')).to.deep.include({ verified: false, reason: 'lookup-failed' });
  });

  it('verifies by the file served over HTTP, and says why when it cannot', async () => {
    expect(await verifier().verify('acme.com', token, 'http')).to.deep.include({ verified: true, method: 'http' });
    expect(await verifier().verify('wrong.example', token, 'http')).to.deep.include({ verified: false, reason: 'file-content-mismatch' });
    expect(await verifier().verify('missing.example', token, 'http')).to.deep.include({ verified: false, reason: 'file-missing' });
    expect(await verifier().verify('broken.example', token, 'http')).to.deep.include({ verified: false, reason: 'lookup-failed' });
  });

  it('lets the harness answer while it has records, and the network otherwise', async () => {
    const calls: string[] = [];
    const network: DomainVerifier = {
      verify: (domain, _token, method) => {
        calls.push(domain);
        return Promise.resolve({ verified: false, method, reason: 'lookup-failed', message: 'offline' });
      },
    };
    const harness = new HarnessDns();
    const composed = new HarnessAwareVerifier(harness, network);
    expect(await composed.verify('acme.com', token, 'dns')).to.deep.include({ reason: 'lookup-failed' });
    harness.publish('acme.com', { txt: [verificationRecord(token)] });
    expect(await composed.verify('acme.com', token, 'dns')).to.deep.include({ verified: true });
    expect(await composed.verify('other.com', token, 'http')).to.deep.include({ verified: false, reason: 'file-missing' });
    expect(calls).to.deep.equal(['acme.com']);
  });
});
