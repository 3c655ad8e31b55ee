// Shared setup for the Docker runtime suites: a runtime with a node name of
// its own (so listing and cleanup see only this suite's objects), a pause
// image built under a per-process test tag, a busybox image, a temp dir, and
// a cleanup that removes all of it and checks nothing is left.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { LABEL_NODE_NAME, type ContainerConfig, type PodSandboxConfig } from '../../../src/runtime/interface.js';
import { DockerRuntime } from '../../../src/runtime/docker/runtime.js';
import { removeImage } from '../../../src/runtime/docker/images.js';
import { ensureBusyboxImage, releaseBusyboxImage } from '../../helpers/images.js';

export interface Fixture {
  runtime: DockerRuntime;
  nodeName: string;
  busybox: string;
  dir: string;
  sandboxConfig(name: string, extra?: Partial<PodSandboxConfig>): PodSandboxConfig;
  containerConfig(name: string, command: string[], extra?: Partial<ContainerConfig>): ContainerConfig;
  /** Waits until the container has exited, returning its output (follows the log, so no polling). */
  waitExit(id: string): Promise<string>;
  /** Every docker container carrying this fixture's node label. */
  leftovers(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export async function setupFixture(suite: string): Promise<Fixture> {
  const suffix = randomBytes(4).toString('hex');
  const nodeName = `k8ts-test-${suite}-${suffix}`;
  const pauseImage = `k8ts-test/pause:run-${process.pid}-${suffix}`;
  const runtime = new DockerRuntime({ nodeName, pauseImage });
  const busybox = await ensureBusyboxImage();
  const dir = await mkdtemp(join(tmpdir(), `k8ts-docker-${suite}-`));

  const leftovers = async (): Promise<string[]> => {
    const filters = JSON.stringify({ label: [`${LABEL_NODE_NAME}=${nodeName}`] });
    const found = await runtime.client.call<{ Id: string }[]>('GET', '/containers/json', { query: { all: true, filters } });
    return found.map((c) => c.Id);
  };

  return {
    runtime,
    nodeName,
    busybox,
    dir,
    sandboxConfig(name, extra = {}) {
      const uid = `uid-${name}-${randomBytes(3).toString('hex')}`;
      return {
        metadata: { name, namespace: 'default', uid, attempt: 0 },
        hostname: name,
        hostNetwork: false,
        portMappings: [],
        labels: { app: name },
        annotations: { 'k8ts.test/suite': suite },
        podDir: join(dir, uid),
        ...extra,
      };
    },
    containerConfig(name, command, extra = {}) {
      return {
        metadata: { name, attempt: 0 },
        image: busybox,
        command,
        args: [],
        env: [],
        mounts: [],
        labels: {},
        annotations: {},
        logPath: join(dir, 'logs', `${name}-${randomBytes(3).toString('hex')}.log`),
        ...extra,
      };
    },
    async waitExit(id) {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      await runtime.logs(id, { follow: true }, out);
      // The log stream ends when the process's output closes, a moment before
      // docker records the exit; /wait returns once it has.
      await runtime.client.call('POST', `/containers/${id}/wait`, { query: { condition: 'not-running' } });
      return Buffer.concat(chunks).toString('utf8');
    },
    leftovers,
    async cleanup() {
      try {
        for (const id of await leftovers()) {
          await runtime.client.call('DELETE', `/containers/${id}`, { query: { force: true, v: true } });
        }
        assert.deepEqual(await leftovers(), [], 'containers with the test node label remain');
        await removeImage(runtime.client, pauseImage);
      } finally {
        await runtime.close();
        await releaseBusyboxImage();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Collects what a writable receives. */
export function sink(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
