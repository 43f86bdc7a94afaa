/**
 * Ports for the servers tests start, safe under parallel test workers. Our
 * own listeners bind port 0 and report the port they got. A server that must
 * be told its port up front (redis-server, influxd, postgres, a platform
 * process restarted on the same ports) gets a candidate port, and when it
 * exits because the port was taken meanwhile, another one: a race costs a
 * retry instead of a flaky failure. (Binding port 0, closing, and handing the
 * number on leaves a window in which another worker can take it.)
 */
import { isPortTaken, portOpen } from '../platform/local-services.ts';

/**
 * Candidates lie below Linux's ephemeral range (32768–60999), where port-0 binds and outgoing connections
 * take theirs: only another test's candidate can collide with ours.
 */
const CANDIDATES = { from: 20_000, to: 32_000 } as const;

/** How many candidate ports a start tries before it gives up. */
const ATTEMPTS = 8;

/** A random port in the candidate range that nothing answers on right now. */
export async function candidatePort(): Promise<number> {
  for (;;) {
    const port = CANDIDATES.from + Math.floor(Math.random() * (CANDIDATES.to - CANDIDATES.from));
    if (!(await portOpen(port))) return port;
  }
}

/**
 * Runs `start` with candidate ports (`count` distinct ones per attempt) until it does not fail with its port
 * taken (`isPortTaken`); any other failure, and the last one, are rethrown.
 */
export async function onCandidatePorts<T>(count: number, start: (ports: number[]) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    while (ports.length < count) {
      const p = await candidatePort();
      if (!ports.includes(p)) ports.push(p);
    }
    try {
      return await start(ports);
    } catch (err) {
      if (!isPortTaken(err) || attempt >= ATTEMPTS) throw err;
    }
  }
}

/** `onCandidatePorts` for a server with one port. */
export function onCandidatePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  return onCandidatePorts(1, ([port]) => start(port!));
}
