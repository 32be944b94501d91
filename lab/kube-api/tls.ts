// Certificates for the embedded API's HTTPS: a throw-away CA and a server certificate for the
// listening address, made with the `openssl` CLI. @kubernetes/client-node 1.4 refuses plain HTTP
// unless told to skip verification, and the lab should exercise the same TLS path as production.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

/** PEM files of the lab CA and server certificate. */
export interface ServerTls {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim()}`, { cause: e });
  }
}

/**
 * Writes ca.crt, ca.key, server.crt and server.key into `dir` (reusing a CA already there) with
 * the server certificate valid for `hosts` (IP addresses and DNS names), and returns the PEMs.
 */
export function makeServerTls(dir: string, hosts: readonly string[]): ServerTls {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  if (!existsSync(join(dir, 'ca.crt'))) {
    openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=metallb-lab-kube-ca', '-days', '3650',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  }
  const san = [...new Set(['127.0.0.1', 'localhost', ...hosts])]
    .map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`))
    .join(',');
  writeFileSync(join(dir, 'server.ext'), [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${san}`,
    '',
  ].join('\n'));
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver'], dir);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '825', '-extfile', 'server.ext'], dir);
  return {
    caCertPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    certPem: readFileSync(join(dir, 'server.crt'), 'utf8'),
    keyPem: readFileSync(join(dir, 'server.key'), 'utf8'),
  };
}

/** A kubeconfig (YAML is a superset of JSON, so JSON is written) pointing at `url` with the CA inline. */
export function kubeconfigText(url: string, caCertPem: string, token: string): string {
  return `${JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'metallb-lab', cluster: { server: url, 'certificate-authority-data': Buffer.from(caCertPem).toString('base64') } }],
    users: [{ name: 'metallb-lab', user: { token } }],
    contexts: [{ name: 'metallb-lab', context: { cluster: 'metallb-lab', user: 'metallb-lab', namespace: 'default' } }],
    'current-context': 'metallb-lab',
  }, null, 2)}\n`;
}
