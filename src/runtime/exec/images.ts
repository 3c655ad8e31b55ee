// Images of the exec runtime: there is no registry and nothing to unpack,
// since a container is a host command. An image is a name for what the
// process is; "pulling" records the name (so the kubelet's pull policies and
// events work as elsewhere) in a small JSON file under the root dir.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { RuntimeError, type ImageInfo } from '../interface.js';
import { normalizeImage } from '../image-name.js';

export class ExecImages {
  private readonly known = new Map<string, ImageInfo>();

  constructor(private readonly file: string) {}

  async load(): Promise<void> {
    try {
      for (const info of JSON.parse(await readFile(this.file, 'utf8')) as ImageInfo[]) this.known.set(info.repoTags[0]!, info);
    } catch {
      // first start
    }
  }

  private async save(): Promise<void> {
    await writeFile(this.file, JSON.stringify([...this.known.values()]));
  }

  async pull(image: string): Promise<string> {
    if (!image || /\s/.test(image) || /[A-Z]/.test(image.split('@')[0]!.split(':')[0]!)) {
      throw new RuntimeError('PullFailed', `invalid reference format: "${image}"`);
    }
    const name = normalizeImage(image);
    let info = this.known.get(name);
    if (!info) {
      info = { id: `sha256:${createHash('sha256').update(name).digest('hex')}`, repoTags: [name], size: 0 };
      this.known.set(name, info);
      await this.save();
    }
    return info.id;
  }

  async status(image: string): Promise<ImageInfo | null> {
    if (!image) return null;
    return this.known.get(normalizeImage(image)) ?? null;
  }

  async remove(image: string): Promise<void> {
    if (this.known.delete(normalizeImage(image))) await this.save();
  }
}
