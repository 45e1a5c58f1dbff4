import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StackError } from '../../errors.ts';
import { CommandFailed, run, tail } from '../../exec.ts';

export interface Certificate {
  cert: string;
  key: string;
}

export interface Pki {
  ca: Certificate;
  apiserver: Certificate;
  admin: Certificate;
  controllerManager: Certificate;
  scheduler: Certificate;
  frontProxyCa: Certificate;
  frontProxyClient: Certificate;
  serviceAccount: { privateKey: string; publicKey: string };
}

interface LeafSpec {
  name: string;
  subject: string;
  usage: 'serverAuth' | 'clientAuth';
  altNames?: readonly string[];
  issuer: Certificate;
}

const DAYS = '3650';

/** The names a client may use for the API server inside and outside the cluster. */
export const apiserverAltNames = [
  'IP:127.0.0.1',
  'IP:10.96.0.1',
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
] as const;

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (error) {
    const output = error instanceof CommandFailed ? tail(error.output, 5) : String(error);
    throw new StackError(
      'kubernetes',
      `openssl ${args[0] ?? ''} failed: ${output}`,
      'install openssl (sudo apt-get install -y openssl)',
      { cause: error },
    );
  }
}

async function ecKey(file: string): Promise<void> {
  await openssl([
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-out',
    file,
  ]);
}

/** Generates the cluster's certificates with openssl: a CA, leaves signed by it, and an SA key pair. */
export async function generatePki(dir: string): Promise<Pki> {
  const config = path.join(dir, 'openssl.cnf');
  await writeFile(config, '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\n');
  const file = (name: string): Certificate => ({
    cert: path.join(dir, `${name}.crt`),
    key: path.join(dir, `${name}.key`),
  });

  async function ca(name: string, commonName: string): Promise<Certificate> {
    const c = file(name);
    await ecKey(c.key);
    await openssl([
      'req',
      '-config',
      config,
      '-x509',
      '-new',
      '-key',
      c.key,
      '-subj',
      `/CN=${commonName}`,
      '-days',
      DAYS,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      '-out',
      c.cert,
    ]);
    return c;
  }

  async function leaf(spec: LeafSpec): Promise<Certificate> {
    const c = file(spec.name);
    await ecKey(c.key);
    const args = [
      'req',
      '-config',
      config,
      '-x509',
      '-new',
      '-key',
      c.key,
      '-subj',
      spec.subject,
      '-days',
      DAYS,
      '-CA',
      spec.issuer.cert,
      '-CAkey',
      spec.issuer.key,
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-addext',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      '-addext',
      `extendedKeyUsage=${spec.usage}`,
    ];
    if (spec.altNames !== undefined)
      args.push('-addext', `subjectAltName=${spec.altNames.join(',')}`);
    await openssl([...args, '-out', c.cert]);
    return c;
  }

  const clusterCa = await ca('ca', 'event-pipeline-local-ca');
  const frontProxyCa = await ca('front-proxy-ca', 'event-pipeline-front-proxy-ca');
  const serviceAccount = {
    privateKey: path.join(dir, 'sa.key'),
    publicKey: path.join(dir, 'sa.pub'),
  };
  await ecKey(serviceAccount.privateKey);
  await openssl([
    'pkey',
    '-in',
    serviceAccount.privateKey,
    '-pubout',
    '-out',
    serviceAccount.publicKey,
  ]);
  return {
    ca: clusterCa,
    frontProxyCa,
    serviceAccount,
    apiserver: await leaf({
      name: 'apiserver',
      subject: '/CN=kube-apiserver',
      usage: 'serverAuth',
      altNames: apiserverAltNames,
      issuer: clusterCa,
    }),
    admin: await leaf({
      name: 'admin',
      subject: '/O=system:masters/CN=event-pipeline-admin',
      usage: 'clientAuth',
      issuer: clusterCa,
    }),
    controllerManager: await leaf({
      name: 'controller-manager',
      subject: '/CN=system:kube-controller-manager',
      usage: 'clientAuth',
      issuer: clusterCa,
    }),
    scheduler: await leaf({
      name: 'scheduler',
      subject: '/CN=system:kube-scheduler',
      usage: 'clientAuth',
      issuer: clusterCa,
    }),
    frontProxyClient: await leaf({
      name: 'front-proxy-client',
      subject: '/CN=front-proxy-client',
      usage: 'clientAuth',
      issuer: frontProxyCa,
    }),
  };
}
