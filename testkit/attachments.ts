/** Files to attach in tests (issue #18): each starts as its type does (magic number), with `size` bytes in all. */
import { randomBytes } from 'node:crypto';

const pad = (head: Buffer, tail: Buffer, size: number): Buffer => {
  const body = randomBytes(Math.max(0, size - head.length - tail.length));
  return Buffer.concat([head, body, tail]);
};

/** A JPEG's SOI and JFIF APP0 segment, random scan data, its EOI. */
export const jpegBytes = (size = 64 * 1024): Buffer =>
  pad(
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]),
    Buffer.from([0xff, 0xd9]),
    size,
  );

export const pngBytes = (size = 4096): Buffer =>
  pad(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]), Buffer.alloc(0), size);

export const webpBytes = (size = 4096): Buffer => {
  const head = Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1');
  head.writeUInt32LE(size - 8, 4);
  return pad(head, Buffer.alloc(0), size);
};

/** An ISO BMFF `ftyp` box with `major` and `compatible` brands (HEIC: `heic` + `mif1`, `heic`; AVIF: `avif` + `mif1`, `miaf`). */
export const ftypBytes = (major: string, compatible: string[], size = 4096): Buffer => {
  const box = Buffer.alloc(16 + 4 * compatible.length);
  box.writeUInt32BE(box.length, 0);
  box.write('ftyp', 4, 'latin1');
  box.write(major, 8, 'latin1');
  compatible.forEach((c, i) => box.write(c, 16 + 4 * i, 'latin1'));
  return pad(box, Buffer.alloc(0), size);
};
export const heicBytes = (size = 4096): Buffer => ftypBytes('heic', ['mif1', 'heic'], size);

/** A small one-page PDF's text, padded with a comment to `size`. */
export const pdfBytes = (size = 2048): Buffer => {
  const head = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n', 'latin1');
  const tail = Buffer.from('\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');
  return Buffer.concat([head, Buffer.from(`%${'x'.repeat(Math.max(0, size - head.length - tail.length - 1))}`, 'latin1'), tail]);
};

/** What must never be taken as a photo: a Windows executable, an HTML page. */
export const exeBytes = (): Buffer => pad(Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(0), 1024);
export const htmlBytes = (): Buffer => Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
