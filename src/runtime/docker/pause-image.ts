// Makes sure the sandbox image exists: used as is when present, otherwise
// built on this node from busybox or a compiled program (see ../pause), since
// no registry is reachable to pull it from.
import type { PullProgress } from '../interface.js';
import { logger } from '../../util/log.js';
import { buildPauseRootfs, type PauseBuildOptions } from '../pause/rootfs.js';
import type { DockerClient } from './client.js';
import { importImage } from './import.js';
import { inspectImage } from './images.js';

const log = logger('runtime');

export async function ensurePauseImage(
  client: DockerClient,
  image: string,
  opts: PauseBuildOptions = {},
): Promise<string> {
  const present = await inspectImage(client, image);
  if (present) return present.Id;
  const progress: PullProgress = (msg) => {
    log.info({ image }, msg);
    opts.progress?.(msg);
  };
  progress(`Pause image ${image} not present; building it locally`);
  const rootfs = await buildPauseRootfs({ ...opts, progress });
  const id = await importImage(
    client,
    image,
    rootfs.tar,
    [`ENTRYPOINT ${JSON.stringify(rootfs.entrypoint)}`, 'LABEL io.k8ts.pause=true'],
    progress,
  );
  progress(`Built pause image ${image} (${id}) from ${rootfs.source}`);
  return id;
}
