// The parent's handle on the loopback servers' process (bench/servers.ts).

import { Child } from './child.js';
import type { Arrival } from './servers.js';

export type { Arrival };

export class LoopbackServers {
  private constructor(private readonly child: Child) {}

  static async start(): Promise<LoopbackServers> {
    return new LoopbackServers(await Child.start('servers.ts'));
  }

  /** `count` listeners answering 200 on every path. */
  async listen(count: number): Promise<number[]> {
    return (await this.child.call<{ ports: number[] }>('listen', { count })).ports;
  }

  /** A primary on its own port, so that it can be stopped alone. */
  async primary(name: string): Promise<number> {
    return (await this.child.call<{ port: number }>('primary', { name })).port;
  }

  /** Resolves with the servers' monotonic time at which the primary stopped. */
  async stop(name: string, afterMs: number): Promise<number> {
    return (await this.child.call<{ stoppedAt: number }>('stop', { name, afterMs })).stoppedAt;
  }

  /** A UDP SIP responder answering every OPTIONS 200 OK (the SIP variant of row 1). */
  async sip(): Promise<number> {
    return (await this.child.call<{ port: number }>('sip')).port;
  }

  sipAnswered(): Promise<number> {
    return this.child.call<number>('sipAnswered');
  }

  /** The action receiver; every request is recorded with its arrival time. */
  async receiver(): Promise<number> {
    return (await this.child.call<{ port: number }>('receiver')).port;
  }

  arrivals(): Promise<Arrival[]> {
    return this.child.call<Arrival[]>('arrivals');
  }

  close(): Promise<void> {
    return this.child.stop();
  }
}
