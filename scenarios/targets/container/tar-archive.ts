import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';

/** One entry of an archive: a directory, or a file read from `source` on this machine. */
export type TarEntry =
  | { type: 'directory'; name: string; mode: number }
  | { type: 'file'; name: string; mode: number; source: string }
  | { type: 'file'; name: string; mode: number; content: Buffer };

const block = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** Splits a path into ustar's name (100 bytes) and prefix (155 bytes) at a slash. */
function splitName(name: string): { name: string; prefix: string } {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let i = name.lastIndexOf('/'); i > 0; i = name.lastIndexOf('/', i - 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return { name: rest, prefix };
  }
  throw new Error(`path too long for a tar archive: ${name}`);
}

/** A ustar header (POSIX 1003.1-1988), owned by root, dated 0 so that equal contents give equal archives. */
export function tarHeader(entry: { name: string; mode: number; size: number; type: 'file' | 'directory' }): Buffer {
  const header = Buffer.alloc(block);
  const { name, prefix } = splitName(entry.type === 'directory' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(entry.mode & 0o7777, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii'); // uid
  header.write(octal(0, 8), 116, 'ascii'); // gid
  header.write(octal(entry.size, 12), 124, 'ascii');
  header.write(octal(0, 12), 136, 'ascii'); // mtime
  header.write('        ', 148, 'ascii'); // checksum, counted as spaces
  header.write(entry.type === 'directory' ? '5' : '0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(octal(sum, 7) + ' ', 148, 'ascii');
  return header;
}

/**
 * An uncompressed tar archive of `entries`, streamed (files are read as the
 * archive is consumed, so a 100 MB runtime is never held in memory). The
 * engine takes a build context as such an archive; an uncompressed one
 * spares the CPU that gzip would take for a context that is mostly a
 * compiled runtime.
 */
export function tarArchive(entries: readonly TarEntry[]): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    for (const entry of entries) {
      if (entry.type === 'directory') {
        yield tarHeader({ name: entry.name, mode: entry.mode, size: 0, type: 'directory' });
        continue;
      }
      if ('content' in entry) {
        yield tarHeader({ name: entry.name, mode: entry.mode, size: entry.content.length, type: 'file' });
        yield entry.content;
        if (entry.content.length % block !== 0) yield Buffer.alloc(block - (entry.content.length % block));
        continue;
      }
      const size = statSync(entry.source).size;
      yield tarHeader({ name: entry.name, mode: entry.mode, size, type: 'file' });
      let read = 0;
      for await (const chunk of createReadStream(entry.source)) {
        read += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (read !== size) throw new Error(`${entry.source} changed size while it was archived (${size} -> ${read} bytes)`);
      if (size % block !== 0) yield Buffer.alloc(block - (size % block));
    }
    yield Buffer.alloc(block * 2);
  }
  return Readable.from(generate(), { objectMode: false });
}
