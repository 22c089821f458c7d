/**
 * bcrypt (bcryptjs) on worker threads, so that password checks neither block the event loop
 * (configuration GETs stay fast during enrollments) nor limit enrollment to one core.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', (m) => {
  try {
    const result = m.op === 'hash' ? bcrypt.hashSync(m.password, m.cost) : bcrypt.compareSync(m.password, m.hash);
    parentPort.postMessage({ id: m.id, result });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.message || e) });
  }
});
`;

interface Job {
  resolve: (v: string | boolean) => void;
  reject: (e: Error) => void;
}

/** A small pool of bcrypt workers. */
export class BcryptPool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;

  /** @param size number of worker threads (default: available cores, at most 4). */
  constructor(size = Math.min(4, Math.max(1, availableParallelism()))) {
    const bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath } });
      worker.unref();
      const slot = { worker, busy: 0 };
      worker.on('message', (m: { id: number; result?: string | boolean; error?: string }) => {
        slot.busy--;
        const job = this.jobs.get(m.id);
        this.jobs.delete(m.id);
        if (!job) return;
        if (m.error !== undefined) job.reject(new Error(m.error));
        else job.resolve(m.result!);
      });
      worker.on('error', (err) => {
        for (const j of this.jobs.values()) j.reject(err);
        this.jobs.clear();
      });
      this.workers.push(slot);
    }
  }

  private run(msg: Record<string, unknown>): Promise<string | boolean> {
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      slot.busy++;
      slot.worker.postMessage({ ...msg, id });
    });
  }

  /** bcrypt hash of `password` at `cost`. */
  async hash(password: string, cost: number): Promise<string> {
    return (await this.run({ op: 'hash', password, cost })) as string;
  }

  /** True when `password` matches `hash`. */
  async compare(password: string, hash: string): Promise<boolean> {
    return (await this.run({ op: 'compare', password, hash })) as boolean;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
