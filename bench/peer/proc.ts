/** A server process of the peer stack, and waiting for it to be ready. */
import type { ChildProcess } from 'node:child_process';
import { sleep } from '../common.ts';

export interface Proc {
  name: string;
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

export async function waitFor(what: string, probe: () => Promise<boolean>, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms`);
    await sleep(100);
  }
}
