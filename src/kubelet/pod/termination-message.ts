import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mount } from '../../runtime/interface.js';
import type { ContainerStatus as RuntimeContainerStatus } from '../../runtime/interface.js';
import type { Container } from '../api-types.js';

// A container's termination message, as upstream's kubelet: a file of the
// pod's directory is mounted at terminationMessagePath, and what the
// container leaves there (at most 4 KiB) becomes state.terminated.message;
// with FallbackToLogsOnError, an empty file and a failure give the tail of
// the log instead (at most 80 lines, 2 KiB).

/** Where the host file is recorded on the runtime's container. */
export const ANNOTATION_TERMINATION_MESSAGE_HOST_PATH = 'io.k8ts.container.terminationMessageHostPath';
const MAX_MESSAGE_BYTES = 4096;
const MAX_LOG_BYTES = 2048;
const MAX_LOG_LINES = 80;

/** Creates the (empty, world-writable: the container may run as any user) file and its mount. */
export async function terminationMessageMount(podDir: string, container: Container, attempt: number): Promise<{ mount: Mount; hostPath: string } | undefined> {
  const path = container.terminationMessagePath;
  if (!path) return undefined;
  const dir = join(podDir, 'containers', container.name);
  await mkdir(dir, { recursive: true });
  const hostPath = join(dir, `termination-log-${attempt}`);
  await writeFile(hostPath, '');
  await chmod(hostPath, 0o666);
  return { mount: { hostPath, containerPath: path, readOnly: false }, hostPath };
}

function readTail(path: string, max: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function readHead(path: string, max: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(max);
    const n = readSync(fd, buf, 0, max, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** CRI log lines ("<time> <stream> <P|F> <text>") back to the text the container wrote. */
function criText(raw: string): string {
  return raw
    .split('\n')
    .map((l) => {
      const m = /^\S+ (?:stdout|stderr) [PF] (.*)$/.exec(l);
      return m ? m[1]! : l;
    })
    .join('\n');
}

/** The message for an exited container, or undefined when there is none. */
export function terminationMessage(c: RuntimeContainerStatus, spec: Container | undefined): string | undefined {
  const hostPath = c.annotations?.[ANNOTATION_TERMINATION_MESSAGE_HOST_PATH];
  const fromFile = hostPath ? readHead(hostPath, MAX_MESSAGE_BYTES) : undefined;
  if (fromFile) return fromFile;
  if (spec?.terminationMessagePolicy === 'FallbackToLogsOnError' && c.exitCode !== 0 && c.logPath) {
    const tail = readTail(c.logPath, MAX_LOG_BYTES * 4);
    if (tail) {
      const lines = criText(tail).replace(/\n$/, '').split('\n').slice(-MAX_LOG_LINES).join('\n');
      return Buffer.byteLength(lines) > MAX_LOG_BYTES ? Buffer.from(lines).subarray(-MAX_LOG_BYTES).toString('utf8') : lines;
    }
  }
  return undefined;
}
