/**
 * What an attachment is (issue #18): its type read from its first bytes (magic numbers), checked against the
 * type its sender declared, and a file name safe to store and to offer back in a download. Pure.
 *
 * Taken: phone photos (JPEG, PNG, WebP, HEIC/HEIF) and PDF documents — what an enterprise feeds back with and
 * an inspector photographs. Nothing that a browser would run (HTML, SVG, scripts) and nothing executable.
 */

export const ATTACHMENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif', 'application/pdf'] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

/** How people name each type: the first is the extension a name without a fitting one gets. */
const EXTENSIONS: Record<AttachmentType, readonly string[]> = {
  'image/jpeg': ['jpg', 'jpeg', 'jpe', 'jfif'],
  'image/png': ['png'],
  'image/webp': ['webp'],
  'image/heic': ['heic', 'heif'],
  'image/heif': ['heif', 'heic'],
  'application/pdf': ['pdf'],
};

/** The names a type is declared under (browsers and phones differ); HEIC and HEIF are one family, as senders mix them up. */
const DECLARED: Record<string, readonly AttachmentType[]> = {
  'image/jpeg': ['image/jpeg'],
  'image/jpg': ['image/jpeg'],
  'image/pjpeg': ['image/jpeg'],
  'image/png': ['image/png'],
  'image/webp': ['image/webp'],
  'image/heic': ['image/heic', 'image/heif'],
  'image/heif': ['image/heic', 'image/heif'],
  'image/heic-sequence': ['image/heic', 'image/heif'],
  'image/heif-sequence': ['image/heic', 'image/heif'],
  'application/pdf': ['application/pdf'],
};

/** A `Content-Type` header's media type, lower case, without parameters (`image/jpeg; q=1` → `image/jpeg`). */
export const essence = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

/** The types a declared `Content-Type` may hold; empty when it is not one the store takes. */
export const typesDeclaredBy = (contentType: string | undefined): readonly AttachmentType[] => DECLARED[essence(contentType)] ?? [];

const ascii = (bytes: Uint8Array, from: number, to: number): string => String.fromCharCode(...bytes.subarray(from, to));

/** HEIC brands (HEVC-coded images and sequences); `mif1`/`msf1` are the general HEIF brands. */
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx']);
const HEIF_BRANDS = new Set(['mif1', 'msf1']);

/**
 * HEIC or HEIF from the ISO BMFF `ftyp` box at the start: its major brand, and for a general one (`mif1`) the
 * compatible brands. An AVIF image (`avif`, with `mif1` among its brands) is neither: it is not taken.
 */
function sniffHeif(b: Uint8Array): AttachmentType | undefined {
  if (b.length < 16 || ascii(b, 4, 8) !== 'ftyp') return undefined;
  const boxSize = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  if (boxSize < 16 || boxSize > b.length || boxSize % 4 !== 0) return undefined;
  const major = ascii(b, 8, 12);
  const compatible: string[] = [];
  for (let i = 16; i + 4 <= boxSize; i += 4) compatible.push(ascii(b, i, i + 4));
  if (HEIC_BRANDS.has(major)) return 'image/heic';
  if (!HEIF_BRANDS.has(major) || compatible.some((c) => c.startsWith('avi'))) return undefined;
  return compatible.some((c) => HEIC_BRANDS.has(c)) ? 'image/heic' : 'image/heif';
}

/** The type the bytes are, by their magic number; undefined for anything the store does not take. */
export function sniffType(b: Uint8Array): AttachmentType | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((x, i) => b[i] === x)) return 'image/png';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'image/webp';
  // a PDF's header starts the file (readers tolerate junk before it; a file meant as evidence has none)
  if (b.length >= 5 && ascii(b, 0, 5) === '%PDF-') return 'application/pdf';
  return sniffHeif(b);
}

/** The names of the types, for refusals: Chinese and English. */
export const TYPES_TAKEN = { zh: 'JPEG、PNG、WebP、HEIC/HEIF 照片或 PDF 文件', en: 'JPEG, PNG, WebP or HEIC/HEIF photos, or PDF files' } as const;

export type TypeCheck =
  { ok: true; type: AttachmentType } | { ok: false; reason: 'declared_not_taken' | 'content_not_taken' | 'mismatch'; sniffed?: AttachmentType };

/**
 * The type to store the bytes as: both what they are (magic number) and what the sender declared must be a type
 * taken, and agree. The stored type is the one the bytes are (for HEIC/HEIF, whichever of the two they are).
 */
export function checkType(bytes: Uint8Array, contentType: string | undefined): TypeCheck {
  const declared = typesDeclaredBy(contentType);
  if (declared.length === 0) return { ok: false, reason: 'declared_not_taken' };
  const sniffed = sniffType(bytes);
  if (!sniffed) return { ok: false, reason: 'content_not_taken' };
  if (!declared.includes(sniffed)) return { ok: false, reason: 'mismatch', sniffed };
  return { ok: true, type: sniffed };
}

/** The longest file name kept, in UTF-8 bytes (most file systems' limit). */
export const MAX_FILENAME_BYTES = 255;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/** Cuts `s` to at most `max` UTF-8 bytes at a character boundary. */
function cutUtf8(s: string, max: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    bytes += Buffer.byteLength(ch);
    if (bytes > max) break;
    out += ch;
  }
  return out;
}

/**
 * A file name safe to keep and to offer in a download: the last path segment only, NFC, no control, format
 * (bidirectional overrides, zero-width) or unpaired surrogate characters, none of `<>:"/\|?*`, no leading dots,
 * at most 255 UTF-8 bytes, and ending in an extension of its type, in lower case (`photo.exe` of a JPEG → `photo.exe.jpg`).
 * Chinese names stay as they are. Empty or absent → `attachment.<ext>`.
 */
export function sanitizeFilename(name: string | undefined, type: AttachmentType): string {
  const exts = EXTENSIONS[type];
  let s = (name ?? '').normalize('NFC');
  s = s.split(/[/\\]/).pop() ?? '';
  s = s
    .replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/gu, '')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/\s+/gu, ' ')
    .trim()
    .replace(/^[.\s]+/u, '')
    .replace(/[.\s]+$/u, '');
  const dot = s.lastIndexOf('.');
  const ext = dot > 0 ? s.slice(dot + 1).toLowerCase() : '';
  let stem = exts.includes(ext) ? s.slice(0, dot) : s;
  const suffix = `.${exts.includes(ext) ? ext : exts[0]!}`;
  if (stem === '') stem = 'attachment';
  if (WINDOWS_RESERVED.test(stem.split('.')[0]!)) stem = `_${stem}`;
  return cutUtf8(stem, MAX_FILENAME_BYTES - suffix.length).replace(/[.\s]+$/u, '') + suffix;
}
