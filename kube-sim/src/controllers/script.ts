import type { KubeObject } from '../types.ts';
import { parseDuration } from './util.ts';

/**
 * What a simulated container prints and how long it lives. A pod (or a Job's pod template) may carry a script,
 * `sim.fleetgraph.io/script`: JSON steps run in order, each `after` the one before,
 *
 *   [{ "after": "2s", "line": "pulling images" }, { "after": "1s", "line": "done" }, { "after": "1s", "exit": 0 }]
 *
 * `line` writes a log line, `exit` ends the container with that exit code. Without a script a container runs until
 * it is deleted and now and then writes a plausible line of its own (an access log for web servers, structured
 * logs for the rest), chosen by a seeded generator: the same seed gives the same lines.
 */

export const SCRIPT = 'sim.fleetgraph.io/script';
export const READY_AFTER = 'sim.fleetgraph.io/ready-after';
export const PULL_AFTER = 'sim.fleetgraph.io/pull-after';
/** `fail`: every pull of the pod's images fails (ErrImagePull, then ImagePullBackOff) */
export const IMAGE_PULL = 'sim.fleetgraph.io/image-pull';

export interface ScriptStep {
  /** ms after the previous step (or after the container started) */
  after: number;
  line?: string;
  exit?: number;
}

/** the script of a pod, undefined without one; throws a message when it does not parse */
export function parseScript(pod: KubeObject): ScriptStep[] | undefined {
  const text = pod.metadata.annotations?.[SCRIPT];
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${SCRIPT} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!Array.isArray(raw)) throw new Error(`${SCRIPT} must be a JSON array of steps`);
  return raw.map((s: unknown, i) => {
    if (typeof s !== 'object' || s === null) throw new Error(`${SCRIPT}[${i}] must be an object`);
    const step = s as Record<string, unknown>;
    const after = step['after'] === undefined ? 0 : parseDuration(step['after']);
    if (after === undefined) throw new Error(`${SCRIPT}[${i}].after must be a duration such as "2s"`);
    const out: ScriptStep = { after };
    if (step['line'] !== undefined) out.line = String(step['line']);
    if (step['exit'] !== undefined) {
      const code = Number(step['exit']);
      if (!Number.isInteger(code) || code < 0 || code > 255)
        throw new Error(`${SCRIPT}[${i}].exit must be 0-255`);
      out.exit = code;
    }
    return out;
  });
}

const PATHS = [
  '/',
  '/healthz',
  '/api/v1/items',
  '/api/v1/orders',
  '/static/app.js',
  '/metrics',
  '/api/v1/users/me',
];
const AGENTS = ['kube-probe/1.30', 'Mozilla/5.0', 'curl/8.5.0', 'Go-http-client/1.1'];
const MESSAGES = [
  'handled request',
  'cache refreshed',
  'connection pool stats',
  'processed batch',
  'reconciled',
  'heartbeat',
  'flushed buffer',
];
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const isWebServer = (image: string): boolean =>
  /(^|\/)(nginx|httpd|apache|envoy|haproxy|traefik)/.test(image);

/** an ingress-nginx controller image (KubeSphere gateways run kubesphere/nginx-ingress-controller) */
const isIngressNginx = (image: string): boolean =>
  /(^|\/)(nginx-ingress-controller|ingress-nginx\/controller)(:|@|$)/.test(image);

const UPSTREAMS = ['shop-storefront-80', 'shop-cart-8080', 'payments-payments-api-8080'];

/** klog's header: I0102 15:04:05.000000       7 file.go:123] */
const klog = (level: string, t: number, where: string): string => {
  const d = new Date(t);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${level}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}000       7 ${where}]`;
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const clf = (t: number): string => {
  const d = new Date(t);
  const mon = MONTHS[d.getUTCMonth()] ?? 'Jan';
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
};

/** the first lines a container writes when it starts (at `time`, clock ms) */
export function startupLines(image: string, container: string, time = 0): string[] {
  if (isIngressNginx(image)) {
    const release = /:(v[\w.-]+)$/.exec(image)?.[1] ?? 'v1.9.6';
    return [
      '-------------------------------------------------------------------------------',
      'NGINX Ingress controller',
      `  Release:       ${release}`,
      '  Repository:    https://github.com/kubernetes/ingress-nginx',
      '  nginx version: nginx/1.21.6',
      '',
      '-------------------------------------------------------------------------------',
      '',
      `${klog('W', time, 'client_config.go:618')} Neither --kubeconfig nor --master was specified.  Using the inClusterConfig.  This might not work.`,
      `${klog('I', time, 'main.go:205')} "Creating API client" host="https://10.96.0.1:443"`,
      `${klog('I', time, 'main.go:249')} "Running in Kubernetes cluster" major="1" minor="30" git="v1.30.2" state="clean" platform="linux/amd64"`,
      `${klog('I', time, 'main.go:101')} "SSL fake certificate created" file="/etc/ingress-controller/ssl/default-fake-certificate.pem"`,
      `${klog('I', time, 'nginx.go:264')} "Starting NGINX Ingress controller"`,
      `${klog('I', time, 'controller.go:190')} "Configuration changes detected, backend reload required"`,
      `${klog('I', time, 'controller.go:210')} "Backend successfully reloaded"`,
      `${klog('I', time, 'controller.go:221')} "Initial sync, sleeping for 1 second"`,
    ];
  }
  if (isWebServer(image)) {
    return [
      '/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration',
      '/docker-entrypoint.sh: Configuration complete; ready for start up',
      `${container}: start worker processes`,
    ];
  }
  return [
    `level=info msg="starting ${container}" image="${image}"`,
    'level=info msg="loaded configuration" source=/etc/config',
    'level=info msg="listening" addr=":8080"',
  ];
}

/** one plausible line of a running container */
export function chatterLine(r: () => number, image: string, time: number): string {
  if (isIngressNginx(image)) {
    // ingress-nginx's log-format-upstream
    const ip = `10.244.${Math.floor(r() * 8)}.${2 + Math.floor(r() * 200)}`;
    const path = pick(r, PATHS);
    const status = r() < 0.93 ? 200 : pick(r, [301, 404, 502]);
    const bytes = Math.floor(r() * 5000);
    const upstream = pick(r, UPSTREAMS);
    const secs = (0.001 + r() * 0.2).toFixed(3);
    const addr = `10.244.${Math.floor(r() * 8)}.${2 + Math.floor(r() * 200)}:${upstream.endsWith('-80') ? 80 : 8080}`;
    let reqId = '';
    for (let i = 0; i < 32; i++) reqId += Math.floor(r() * 16).toString(16);
    return `${ip} - - [${clf(time)}] "GET ${path} HTTP/1.1" ${status} ${bytes} "-" "${pick(r, AGENTS)}" ${200 + Math.floor(r() * 400)} ${secs} [${upstream}] [] ${addr} ${bytes} ${secs} ${status} ${reqId}`;
  }
  if (isWebServer(image)) {
    const ip = `10.244.${Math.floor(r() * 8)}.${2 + Math.floor(r() * 200)}`;
    const path = pick(r, PATHS);
    const status = r() < 0.93 ? 200 : pick(r, [301, 404, 500]);
    return `${ip} - - [${clf(time)}] "GET ${path} HTTP/1.1" ${status} ${Math.floor(r() * 5000)} "-" "${pick(r, AGENTS)}"`;
  }
  const level = r() < 0.9 ? 'info' : r() < 0.7 ? 'warn' : 'error';
  const msg = pick(r, MESSAGES);
  return `level=${level} ts=${new Date(time).toISOString()} msg="${msg}" duration=${Math.floor(1 + r() * 250)}ms`;
}
