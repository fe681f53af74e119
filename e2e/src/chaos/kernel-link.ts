// Network faults made by the kernel, for the chaos suite's opt-in `kernel-bandwidth` and
// `kernel-partition` (the FaultProxy makes latency, jitter, loss and resets in user space;
// this machine has no `tc netem`). One KernelLink per backend routes the gateway's traffic
// to that backend through a network namespace of the run's own:
//
//   FaultProxy (127.0.0.1) → relay in the namespace (veth, namespace end)
//                          → bridge on the host end of the veth → the backend's s3rver
//
// so every byte, both ways, leaves the namespace through its end of the veth pair. A cap is
// `tc qdisc … tbf` on that end, a partition `iptables -j DROP` in the namespace (connections
// hang, new ones get nowhere, held ones resume when it heals — TCP retransmits). Every
// command runs inside the namespace; the host's own interfaces, routes and firewall are never
// touched: the only host-side change is the veth end (a link-local /30), gone with the
// namespace. Needs root, `ip`, `tc` and `iptables`; available() says why not otherwise.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const RELAY_SCRIPT = fileURLToPath(new URL('../../bin/ns-relay.mjs', import.meta.url));
/** Namespaces of this suite are named so; a crashed run's are found by its pid and removed. */
const PREFIX = 's3oc';

/** Why kernel faults cannot run here, or null when they can. */
export async function kernelFaultsUnavailable(): Promise<string | null> {
  if (process.platform !== 'linux') return `kernel faults need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'kernel faults need root (ip netns, tc, iptables)';
  for (const tool of ['ip', 'tc', 'iptables']) {
    try {
      await run(tool, ['-V']);
    } catch {
      return `kernel faults need \`${tool}\` (not found or not working; infra/ensure-services.sh installs it when run as root)`;
    }
  }
  return null;
}

/** Removes the namespaces of earlier runs whose process is gone (a run killed before its cleanup). */
export async function removeStaleNamespaces(): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'list']);
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${PREFIX}(\\d+)b\\d+$`).exec(name);
    if (!m || alive(Number(m[1]))) continue;
    await run('ip', ['netns', 'del', name]).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class KernelLink {
  /** `http://<namespace address>:<relay port>`: where the FaultProxy sends this backend's traffic */
  url = '';
  private relay: ChildProcess | null = null;
  private bridge: Server | null = null;
  private readonly bridged = new Set<Socket>();
  private capped = false;
  private partitioned = false;

  private constructor(
    readonly namespace: string,
    private readonly hostIf: string,
    private readonly nsIf: string,
    private readonly hostAddress: string,
    private readonly nsAddress: string,
  ) {}

  /** A namespace and veth pair for backend `index`, relaying to 127.0.0.1:`targetPort`. */
  static async create(index: number, targetPort: number): Promise<KernelLink> {
    const id = `${process.pid}`;
    // A link-local /30 per backend, its third octet from the pid: runs side by side rarely collide.
    const octet = 16 + (process.pid % 200);
    const link = new KernelLink(`${PREFIX}${id}b${index}`, `s3oc${id}h${index}`.slice(0, 15), `s3oc${id}n${index}`.slice(0, 15),
      `169.254.${octet}.${4 * index + 1}`, `169.254.${octet}.${4 * index + 2}`);
    try {
      await link.setUp(targetPort);
      return link;
    } catch (err) {
      await link.destroy();
      throw err;
    }
  }

  private async setUp(targetPort: number): Promise<void> {
    const ns = (...args: string[]) => run('ip', ['netns', 'exec', this.namespace, ...args]);
    await run('ip', ['netns', 'add', this.namespace]);
    await run('ip', ['link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', this.nsIf]);
    await run('ip', ['link', 'set', this.nsIf, 'netns', this.namespace]);
    await run('ip', ['addr', 'add', `${this.hostAddress}/30`, 'dev', this.hostIf]);
    await run('ip', ['link', 'set', this.hostIf, 'up']);
    await ns('ip', 'addr', 'add', `${this.nsAddress}/30`, 'dev', this.nsIf);
    await ns('ip', 'link', 'set', this.nsIf, 'up');
    await ns('ip', 'link', 'set', 'lo', 'up');

    // The host end: the s3rver listens on 127.0.0.1 only, which the namespace cannot reach.
    this.bridge = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.bridged.add(s);
        s.on('close', () => this.bridged.delete(s));
      }
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.resetAndDestroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
    const bridge = this.bridge;
    await new Promise<void>((resolve, reject) => {
      bridge.once('error', reject);
      bridge.listen(0, this.hostAddress, () => resolve());
    });
    const bridgePort = (bridge.address() as AddressInfo).port;

    const relay = spawn('ip', ['netns', 'exec', this.namespace, process.execPath, RELAY_SCRIPT,
      JSON.stringify({ listenHost: this.nsAddress, targetHost: this.hostAddress, targetPort: bridgePort })],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: process.env.PATH ?? '' } });
    this.relay = relay;
    const port = await new Promise<number>((resolve, reject) => {
      let buffered = '';
      relay.stdout!.setEncoding('utf8');
      relay.stdout!.on('data', (chunk: string) => {
        buffered += chunk;
        const nl = buffered.indexOf('\n');
        if (nl >= 0) resolve((JSON.parse(buffered.slice(0, nl)) as { port: number }).port);
      });
      relay.once('exit', (code) => reject(new Error(`the relay in ${this.namespace} exited (code ${code}) before listening`)));
    });
    this.url = `http://${this.nsAddress}:${port}`;
  }

  /** Caps the link at `bytesPerSecond`, both ways (tbf on the namespace's end carries every byte out and back). */
  async setBandwidth(bytesPerSecond: number): Promise<void> {
    const bits = bytesPerSecond * 8;
    // A burst of ~50 ms of traffic (at least 16 KiB, so a 1500-byte packet always fits);
    // packets wait up to 2 s in the queue before tbf drops them (TCP then slows down).
    const burst = Math.max(16 * 1024, Math.round(bytesPerSecond / 20));
    await this.ns('tc', 'qdisc', 'replace', 'dev', this.nsIf, 'root', 'tbf', 'rate', `${bits}bit`, 'burst', String(burst), 'latency', '2s');
    this.capped = true;
  }

  async removeBandwidthCap(): Promise<void> {
    if (!this.capped) return;
    await this.ns('tc', 'qdisc', 'del', 'dev', this.nsIf, 'root');
    this.capped = false;
  }

  /** Drops every packet in and out of the namespace: the backend is unreachable, silently. */
  async partition(): Promise<void> {
    await this.ns('iptables', '-I', 'INPUT', '-j', 'DROP');
    await this.ns('iptables', '-I', 'OUTPUT', '-j', 'DROP');
    this.partitioned = true;
  }

  async heal(): Promise<void> {
    if (!this.partitioned) return;
    await this.ns('iptables', '-F', 'INPUT');
    await this.ns('iptables', '-F', 'OUTPUT');
    this.partitioned = false;
  }

  /** Ends the relay and the bridge and deletes the namespace (its veth pair goes with it). */
  async destroy(): Promise<void> {
    if (this.relay && this.relay.exitCode === null && this.relay.signalCode === null) {
      const exited = new Promise((resolve) => this.relay!.once('exit', resolve));
      this.relay.stdin?.end();
      this.relay.kill('SIGTERM');
      await exited;
    }
    for (const s of this.bridged) s.destroy();
    if (this.bridge?.listening) await new Promise((resolve) => this.bridge!.close(resolve));
    await run('ip', ['netns', 'del', this.namespace]).catch(() => undefined);
    // The host end normally goes with its peer; a half-made link may have left it alone.
    await run('ip', ['link', 'del', this.hostIf]).catch(() => undefined);
  }

  private ns(...args: string[]) {
    return run('ip', ['netns', 'exec', this.namespace, ...args]);
  }
}
