import { NodeProcess } from './node-process';
import { TcpBalancer } from './tcp-balancer';

/** Liveline nodes as separate processes (the built server) behind one TcpBalancer, as an operator runs them. */
export class BalancedNodes {
  private closed: Promise<void> | null = null;

  private constructor(readonly nodes: readonly NodeProcess[], readonly balancer: TcpBalancer) {}

  /** Starts `count` nodes with `env` (all or none: any started are stopped if one fails), then the balancer. */
  static async start(env: Record<string, string>, count = 2): Promise<BalancedNodes> {
    const started = await Promise.allSettled(Array.from({ length: count }, () => NodeProcess.start(env)));
    const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(nodes.map((n) => n.stop()));
      throw failed.reason;
    }
    const ports = nodes.map((n) => Number(new URL(n.url).port));
    return new BalancedNodes(nodes, await TcpBalancer.start(() => ports));
  }

  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  /** Stops the balancer and every node. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.balancer.close();
      await Promise.all(this.nodes.map((n) => n.stop()));
    })();
    return this.closed;
  }
}
