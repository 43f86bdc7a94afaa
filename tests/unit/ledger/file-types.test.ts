/** What an attachment is (issue #18): its type by its first bytes, agreeing with the declared type; a safe file name. */
import { describe, expect, it } from 'vitest';
import { checkType, essence, MAX_FILENAME_BYTES, sanitizeFilename, sniffType, typesDeclaredBy } from '../../../ledger/file-types.ts';
import { exeBytes, ftypBytes, heicBytes, htmlBytes, jpegBytes, pdfBytes, pngBytes, webpBytes } from '../../../testkit/attachments.ts';

describe('sniffType', () => {
  it.each([
    ['JPEG', jpegBytes(), 'image/jpeg'],
    ['PNG', pngBytes(), 'image/png'],
    ['WebP', webpBytes(), 'image/webp'],
    ['PDF', pdfBytes(), 'application/pdf'],
    ['HEIC (iPhone: heic, compatible mif1 heic)', heicBytes(), 'image/heic'],
    ['HEIC under the general brand (mif1, compatible heic)', ftypBytes('mif1', ['mif1', 'heic']), 'image/heic'],
    ['HEIF (mif1 only)', ftypBytes('mif1', ['mif1']), 'image/heif'],
  ] as const)('%s', (_name, bytes, type) => {
    expect(sniffType(bytes)).toBe(type);
  });

  it.each([
    ['a Windows executable (MZ)', exeBytes()],
    ['an HTML page', htmlBytes()],
    ['an SVG image (it may hold scripts)', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')],
    ['AVIF (mif1 among its brands, but not HEIF)', ftypBytes('avif', ['mif1', 'miaf'])],
    ['AVIF under the general brand (mif1, compatible avif)', ftypBytes('mif1', ['mif1', 'avif'])],
    ['an MP4 video (ftyp isom)', ftypBytes('isom', ['isom', 'mp41'])],
    ['a ftyp box longer than the file', Buffer.from([0, 0, 1, 0, ...Buffer.from('ftypheicmif1heic', 'latin1')])],
    ['a PDF header after other bytes', Buffer.concat([Buffer.from('<html>'), pdfBytes()])],
    ['two bytes of a JPEG', Buffer.from([0xff, 0xd8])],
    ['a RIFF that is not WebP (WAV)', Buffer.from('RIFF\0\0\0\0WAVEfmt ', 'latin1')],
    ['nothing', Buffer.alloc(0)],
  ])('not %s', (_name, bytes) => {
    expect(sniffType(bytes)).toBeUndefined();
  });
});

describe('checkType: the bytes and the declared type must both be taken and agree', () => {
  it('takes a JPEG declared as image/jpeg, with parameters and in any case, and the aliases browsers send', () => {
    for (const declared of ['image/jpeg', 'IMAGE/JPEG; charset=binary', 'image/jpg', 'image/pjpeg'])
      expect(checkType(jpegBytes(), declared), declared).toEqual({ ok: true, type: 'image/jpeg' });
  });

  it('takes HEIC and HEIF declared either way (phones mix them up), stored as what the bytes are', () => {
    expect(checkType(heicBytes(), 'image/heif')).toEqual({ ok: true, type: 'image/heic' });
    expect(checkType(ftypBytes('mif1', ['mif1']), 'image/heic')).toEqual({ ok: true, type: 'image/heif' });
  });

  it.each([
    ['an executable declared image/jpeg', exeBytes(), 'image/jpeg', 'content_not_taken'],
    ['an HTML page declared image/jpeg', htmlBytes(), 'image/jpeg', 'content_not_taken'],
    ['an HTML page declared text/html', htmlBytes(), 'text/html', 'declared_not_taken'],
    ['a JPEG declared text/html', jpegBytes(), 'text/html', 'declared_not_taken'],
    ['a JPEG declared application/octet-stream', jpegBytes(), 'application/octet-stream', 'declared_not_taken'],
    ['a JPEG declared as nothing', jpegBytes(), undefined, 'declared_not_taken'],
    ['a PDF declared image/png', pdfBytes(), 'image/png', 'mismatch'],
    ['a PNG declared image/jpeg', pngBytes(), 'image/jpeg', 'mismatch'],
    ['a JPEG declared application/pdf', jpegBytes(), 'application/pdf', 'mismatch'],
  ])('refuses %s', (_name, bytes, declared, reason) => {
    const r = checkType(bytes, declared);
    expect(r.ok).toBe(false);
    expect(r.ok ? undefined : r.reason).toBe(reason);
  });

  it('reads a Content-Type header to its media type', () => {
    expect(essence(' Image/PNG ; foo=bar')).toBe('image/png');
    expect(essence(undefined)).toBe('');
    expect(typesDeclaredBy('image/svg+xml')).toEqual([]);
  });
});

describe('sanitizeFilename', () => {
  it.each([
    ['a Chinese name, kept', '现场照片-储罐区.jpg', 'image/jpeg', '现场照片-储罐区.jpg'],
    ['decomposed characters, composed (NFC)', 'cafe\u0301.png', 'image/png', 'café.png'],
    ['a path: only its last segment', '../../etc/passwd.pdf', 'application/pdf', 'passwd.pdf'],
    ['a Windows path', 'C:\\Users\\王工\\整改报告.pdf', 'application/pdf', '整改报告.pdf'],
    ['control characters and CR LF (header injection), removed', 'a\r\nX-Evil: 1\u0007.jpg', 'image/jpeg', 'aX-Evil_ 1.jpg'],
    ['a right-to-left override (gpj.exe shown as exe.jpg), removed', 'photo\u202Egpj.exe', 'image/jpeg', 'photogpj.exe.jpg'],
    ['a zero-width space, removed', '照\u200B片.jpg', 'image/jpeg', '照片.jpg'],
    ['reserved characters, replaced', 'a<b>c:"d"|e?*.png', 'image/png', 'a_b_c__d__e__.png'],
    ['a hidden-file dot and trailing dots, removed', '...secret.pdf...', 'application/pdf', 'secret.pdf'],
    ['an extension not of its type gets one', 'invoice.exe', 'image/jpeg', 'invoice.exe.jpg'],
    ['an upper-case extension of its type, kept in lower case', 'IMG_0001.JPEG', 'image/jpeg', 'IMG_0001.jpeg'],
    ['a HEIC photo named .heif', 'IMG.heif', 'image/heic', 'IMG.heif'],
    ['no name', undefined, 'application/pdf', 'attachment.pdf'],
    ['a name of nothing but dots', '....', 'image/png', 'attachment.png'],
    ['a Windows device name', 'CON.jpg', 'image/jpeg', '_CON.jpg'],
    ['an unpaired surrogate, removed', 'a\uD800b.png', 'image/png', 'ab.png'],
  ] as const)('%s', (_name, input, type, expected) => {
    expect(sanitizeFilename(input, type)).toBe(expected);
  });

  it(`cuts a long name to ${MAX_FILENAME_BYTES} UTF-8 bytes at a character boundary, keeping the extension`, () => {
    const name = sanitizeFilename(`${'储罐区现场照片'.repeat(40)}.jpg`, 'image/jpeg');
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_FILENAME_BYTES);
    expect(name.endsWith('.jpg')).toBe(true);
    expect(name).not.toContain('\uFFFD');
    expect(name.startsWith('储罐区现场照片')).toBe(true);
  });
});
