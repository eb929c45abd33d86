// A tiny zip reader (a .vsix is a zip): the central directory's entries, and an entry's bytes. Enough
// for the packaging test; no dependency. Handles stored and deflated entries, not zip64 or encryption.

import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

export interface ZipEntry {
  name: string;
  /** Bytes in the archive. */
  compressedSize: number;
  /** Bytes once extracted. */
  size: number;
  /** 0 stored, 8 deflated. */
  method: number;
  /** Unix mode from the external attributes (0 when the archiver wrote none). */
  mode: number;
  localHeaderOffset: number;
}

export class Zip {
  readonly entries: ZipEntry[];
  private constructor(
    readonly file: string,
    private readonly buf: Buffer,
  ) {
    this.entries = readCentralDirectory(buf);
  }

  static open(file: string): Zip {
    return new Zip(file, fs.readFileSync(file));
  }

  get byteLength(): number {
    return this.buf.length;
  }

  entry(name: string): ZipEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /** The extracted bytes of an entry. */
  read(entry: ZipEntry | string): Buffer {
    const e = typeof entry === 'string' ? this.entry(entry) : entry;
    if (!e) throw new Error(`${this.file} has no entry ${String(entry)}`);
    const at = e.localHeaderOffset;
    if (this.buf.readUInt32LE(at) !== 0x04034b50) throw new Error(`bad local header for ${e.name}`);
    const start = at + 30 + this.buf.readUInt16LE(at + 26) + this.buf.readUInt16LE(at + 28);
    const raw = this.buf.subarray(start, start + e.compressedSize);
    if (e.method === 0) return Buffer.from(raw);
    if (e.method === 8) return zlib.inflateRawSync(raw);
    throw new Error(`${e.name}: unsupported compression method ${e.method}`);
  }
}

function readCentralDirectory(buf: Buffer): ZipEntry[] {
  // End of central directory: 22 bytes plus a comment of up to 64 KiB, at the end.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    entries.push({
      method: buf.readUInt16LE(at + 10),
      compressedSize: buf.readUInt32LE(at + 20),
      size: buf.readUInt32LE(at + 24),
      mode: buf.readUInt32LE(at + 38) >>> 16,
      localHeaderOffset: buf.readUInt32LE(at + 42),
      name: buf.toString('utf8', at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
