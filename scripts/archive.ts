// Deterministic .tar.gz and .zip writers and readers for the release archives (scripts/release.ts), in plain Node:
// no `tar`/`zip` binaries and no dependency. Entries carry a fixed mtime and owner, so the same inputs always give
// the same bytes and the same sha256 in plugin.yaml.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32, deflateRawSync, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';

export interface ArchiveEntry {
  /** Path inside the archive, `/`-separated, no leading `./`. Directories end with `/`. */
  name: string;
  /** File contents; absent for directories. */
  data?: Buffer;
  /** Unix permission bits (0o755 for executables). */
  mode: number;
}

/** 2020-01-01T00:00:00Z: a fixed timestamp (zip's DOS dates start in 1980, so not 0). */
export const FIXED_MTIME = 1577836800;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader(e: ArchiveEntry): Buffer {
  const h = Buffer.alloc(512);
  let name = e.name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 2);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
    if (Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`tar: path too long: ${e.name}`);
  }
  const isDir = e.name.endsWith('/');
  h.write(name, 0, 100, 'utf8');
  h.write(octal(e.mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(isDir ? 0 : (e.data?.length ?? 0), 12), 124, 'ascii');
  h.write(octal(FIXED_MTIME, 12), 136, 'ascii');
  h.fill(' ', 148, 156); // checksum placeholder
  h.write(isDir ? '5' : '0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

/** A gzipped ustar archive of the entries, in the order given. */
export function tarGz(entries: ArchiveEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(tarHeader(e));
    if (e.data && !e.name.endsWith('/')) {
      parts.push(e.data);
      const pad = (512 - (e.data.length % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts), { level: 6 });
}

function dosDateTime(unix: number): { time: number; date: number } {
  const d = new Date(unix * 1000);
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** A zip archive (deflate, Unix permissions in the external attributes) of the entries, in the order given. */
export function zip(entries: ArchiveEntry[]): Buffer {
  const { time, date } = dosDateTime(FIXED_MTIME);
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const isDir = e.name.endsWith('/');
    const raw = isDir ? Buffer.alloc(0) : (e.data ?? Buffer.alloc(0));
    const packed = raw.length ? deflateRawSync(raw, { level: 6 }) : raw;
    const method = raw.length ? 8 : 0;
    const crc = crc32(raw);
    if (raw.length >= 0xffffffff || offset >= 0xffffffff) throw new Error('zip: entries over 4 GiB need zip64');
    // The local header (from offset 4) and its central-directory record (from offset 6) share these fields, in
    // this order (APPNOTE 4.3.7 and 4.3.12).
    const shared = (h: Buffer, at: number) => {
      h.writeUInt16LE(20, at); // version needed
      h.writeUInt16LE(0x0800, at + 2); // UTF-8 names
      h.writeUInt16LE(method, at + 4);
      h.writeUInt16LE(time, at + 6);
      h.writeUInt16LE(date, at + 8);
      h.writeUInt32LE(crc, at + 10);
      h.writeUInt32LE(packed.length, at + 14);
      h.writeUInt32LE(raw.length, at + 18);
      h.writeUInt16LE(name.length, at + 22);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    shared(local, 4);
    local.writeUInt16LE(0, 28); // extra field length
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix
    shared(cd, 6);
    cd.writeUInt32LE((((isDir ? 0o040000 : 0o100000) | (e.mode & 0o7777)) << 16 | (isDir ? 0x10 : 0)) >>> 0, 38);
    cd.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    central.push(cd, name);
    offset += local.length + name.length + packed.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cdBuf, end]);
}

function readOctal(b: Buffer, start: number, len: number): number {
  const s = b.toString('ascii', start, start + len).replace(/\0.*$/, '').trim();
  return s ? parseInt(s, 8) : 0;
}

/** Reads a .tar.gz or .zip (by its name) back into entries: used by the tests and the release smoke checks. */
export function readArchive(path: string): ArchiveEntry[] {
  const buf = readFileSync(path);
  return path.endsWith('.zip') ? readZip(buf) : readTar(gunzipSync(buf));
}

/** Extracts an archive into `dir` as krew does: directories, files with their modes. */
export function extractArchive(path: string, dir: string): void {
  for (const e of readArchive(path)) {
    const p = join(dir, e.name);
    if (e.name.endsWith('/')) mkdirSync(p, { recursive: true });
    else {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, e.data!);
      chmodSync(p, e.mode);
    }
  }
}

export function readTar(tar: Buffer): ArchiveEntry[] {
  const out: ArchiveEntry[] = [];
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const prefix = h.toString('utf8', 345, 500).replace(/\0.*$/s, '');
    const size = readOctal(h, 124, 12);
    const mode = readOctal(h, 100, 8);
    const type = String.fromCharCode(h[156]!);
    let full = prefix ? `${prefix}/${name}` : name;
    off += 512;
    const data = tar.subarray(off, off + size);
    off += Math.ceil(size / 512) * 512;
    // Extended headers other tools write (pax 'x'/'g', GNU long names 'L'): a path override or nothing to list.
    if (type === 'x' || type === 'g') {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1];
      if (type === 'x' && path) longName = path;
      continue;
    }
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (longName) [full, longName] = [longName, undefined];
    out.push({ name: type === '5' && !full.endsWith('/') ? `${full}/` : full, mode, ...(type === '5' ? {} : { data }) });
  }
  return out;
}

export function readZip(buf: Buffer): ArchiveEntry[] {
  const endAt = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endAt < 0) throw new Error('zip: no end of central directory');
  const count = buf.readUInt16LE(endAt + 10);
  let off = buf.readUInt32LE(endAt + 16);
  const out: ArchiveEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(off) !== 0x02014b50) throw new Error('zip: bad central directory entry');
    const method = buf.readUInt16LE(off + 10);
    const crc = buf.readUInt32LE(off + 16);
    const csize = buf.readUInt32LE(off + 20);
    const nlen = buf.readUInt16LE(off + 28);
    const xlen = buf.readUInt16LE(off + 30);
    const clen = buf.readUInt16LE(off + 32);
    const attrs = buf.readUInt32LE(off + 38);
    const local = buf.readUInt32LE(off + 42);
    const name = buf.toString('utf8', off + 46, off + 46 + nlen);
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const packed = buf.subarray(dataAt, dataAt + csize);
    const data = method === 8 ? inflateRawSync(packed) : packed;
    if (crc32(data) !== crc) throw new Error(`zip: CRC mismatch for ${name}`);
    out.push({ name, mode: (attrs >>> 16) & 0o7777, ...(name.endsWith('/') ? {} : { data }) });
    off += 46 + nlen + xlen + clen;
  }
  return out;
}
