import { stringify } from 'yaml';

/** A kubeconfig for one cluster: server URL, the CA that signed its certificate, and a bearer token. */
export interface KubeconfigOptions {
  cluster: string;
  server: string;
  caPem: string;
  token: string;
  user?: string;
  namespace?: string;
}

export function toKubeconfig(o: KubeconfigOptions): string {
  const user = o.user ?? `${o.cluster}-admin`;
  const context: Record<string, string> = { cluster: o.cluster, user };
  if (o.namespace) context['namespace'] = o.namespace;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: o.cluster,
        cluster: { server: o.server, 'certificate-authority-data': Buffer.from(o.caPem).toString('base64') },
      },
    ],
    users: [{ name: user, user: { token: o.token } }],
    contexts: [{ name: o.cluster, context }],
    'current-context': o.cluster,
    preferences: {},
  });
}
