import { expect } from 'chai';
import dns2 from 'dns2';
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
  let dnsServer: ReturnType<typeof dns2.createServer>;
  let dnsPort: number;
  let web: Server;
  let webPort: number;
  const dnsQueries: string[] = [];

  before(async () => {
    dnsServer = dns2.createServer({
      udp: true,
      handle: (request, send) => {
        const response = dns2.Packet.createResponseFromRequest(request);
        const [question] = request.questions;
        dnsQueries.push(question!.name);
        if (question!.name === 'acme.com') {
          for (const data of ['v=spf1 -all', verificationRecord(token)]) {
            response.answers.push({ name: question!.name, type: dns2.Packet.TYPE.TXT, class: dns2.Packet.CLASS.IN, ttl: 60, data } as never);
          }
        } else if (question!.name === 'wrong.example') {
          response.answers.push({ name: question!.name, type: dns2.Packet.TYPE.TXT, class: dns2.Packet.CLASS.IN, ttl: 60, data: verificationRecord('other') } as never);
        } else {
          response.header.rcode = 3; // NXDOMAIN
        }
        send(response);
      },
    });
    await dnsServer.listen({ udp: { port: 0, address: '127.0.0.1' } } as never);
    dnsPort = (dnsServer.addresses() as { udp: AddressInfo }).udp.port;

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
    await dnsServer.close();
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
      verify: async (domain, _token, method) => {
        calls.push(domain);
        return { verified: false, method, reason: 'lookup-failed', message: 'offline' };
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
