import type { Certificate } from './pki.ts';

/** A kubeconfig with one cluster, one user (client certificate) and one context; JSON is valid YAML. */
export function renderKubeconfig(opts: {
  server: string;
  caFile: string;
  user: string;
  client: Certificate;
}): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'event-pipeline-local',
        cluster: { server: opts.server, 'certificate-authority': opts.caFile },
      },
    ],
    users: [
      {
        name: opts.user,
        user: { 'client-certificate': opts.client.cert, 'client-key': opts.client.key },
      },
    ],
    contexts: [
      {
        name: 'event-pipeline-local',
        context: { cluster: 'event-pipeline-local', user: opts.user },
      },
    ],
    'current-context': 'event-pipeline-local',
    preferences: {},
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
