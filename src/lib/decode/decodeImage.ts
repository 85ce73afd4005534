/**
 * The one decoder: validated bytes in, a model-sized RGB crop out.
 * Safety first: the header is read and the pixel count checked before any pixel is decoded,
 * and sharp's own limitInputPixels stays on as a second guard. Then the image is turned
 * upright (EXIF), converted to 8-bit sRGB (CMYK, grey, 16-bit), flattened onto white
 * (alpha), reduced to its first frame (animated GIF/WebP), resized so the shorter side
 * matches the model's training recipe (JPEG shrink-on-load makes big photos cheap) and
 * centre-cropped. Output is interleaved RGB bytes; normalisation happens when the batch
 * tensor is filled, to avoid one more float copy per image.
 */
import sharp from 'sharp';
import { ClassifierError } from '../errors';
import type { DecodeLimits } from './limits';
import { checkBytes } from './validate';
import type { ImageFormat } from './sniff';
import type { Preprocess } from '../model/manifest';

/**
 * Bump when decodeImage changes the pixels it hands the model (orientation, colour handling,
 * resize or crop): predictions stored in the content index under another revision are then
 * not reused. sharp's and libvips's versions are part of the key as well (Classifier.contentKey).
 */
export const DECODE_REVISION = 1;

/** How the crop is made: the manifest's preprocessing (model/manifest.ts, preprocessOf). */
export type CropGeometry = Pick<Preprocess, 'resize' | 'width' | 'height' | 'resizeShorterSide'>;

export interface DecodeOptions extends CropGeometry {
  limits: DecodeLimits;
}

export interface DecodedImage {
  format: ImageFormat;
  /** Upright size of the original image (first frame). */
  width: number;
  height: number;
  /** width x height x 3 bytes of the crop, RGB interleaved, row-major. */
  pixels: Buffer;
}

/** libvips' format names for what the sniffer found (AVIF decodes through libheif). */
const SHARP_FORMAT: Record<ImageFormat, string> = {
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  tiff: 'tiff',
  avif: 'heif',
};

export async function decodeImage(bytes: Buffer, options: DecodeOptions): Promise<DecodedImage> {
  const format = checkBytes(bytes, bytes.length, options.limits);
  // 'error' fails on cut-off and broken files (e.g. a PNG chunk with a wrong CRC, which 'truncated'
  // let through: test/reliability/hostileDecode.test.ts) but tolerates the benign warnings many
  // cameras trigger, which only 'warning' would refuse.
  const input = { failOn: 'error', limitInputPixels: options.limits.maxPixels, pages: 1 } as const;
  const meta = await readHeader(bytes, format);
  const width = meta.width ?? 0;
  const frameHeight = meta.pageHeight ?? meta.height ?? 0;
  if (width * frameHeight > options.limits.maxPixels) {
    throw new ClassifierError(
      'image_too_large',
      `Expected an image of at most ${options.limits.maxPixels / 1e6} megapixels but the header declares ` +
        `${width}x${frameHeight}; send a smaller image.`,
    );
  }
  // EXIF orientations 5-8 swap width and height.
  const [upW, upH] = (meta.orientation ?? 1) >= 5 ? [frameHeight, width] : [width, frameHeight];
  const { width: cropW, height: cropH } = options;
  try {
    // No timeout here: libvips would only look at it between stages. The bound is the decoder
    // process's (decoderProcess.ts), which kills a decode that outlasts it.
    let image = sharp(bytes, input).autoOrient();
    if (options.resize === 'squash') {
      image = image.resize({ width: cropW, height: cropH, fit: 'fill' });
    } else {
      const region = centreRegion(upW, upH, options);
      const scale = options.resizeShorterSide / Math.min(upW, upH);
      const resizedW = Math.max(cropW, Math.round(region.width * scale));
      const resizedH = Math.max(cropH, Math.round(region.height * scale));
      // After autoOrient, a pre-resize extract is in the oriented image's coordinates (sharp's rotateBeforePreExtract).
      if (region.width < upW || region.height < upH) image = image.extract(region);
      image = image.resize({ width: resizedW, height: resizedH, fit: 'fill' }).extract({
        left: Math.floor((resizedW - cropW) / 2),
        top: Math.floor((resizedH - cropH) / 2),
        width: cropW,
        height: cropH,
      });
    }
    const pixels = await image
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer();
    return { format, width: upW, height: upH, pixels };
  } catch (err) {
    throw decodeFailure(err, format);
  }
}

/**
 * The part of the (oriented) image the centre crop can see. The crop only ever uses the middle
 * of the long side, so an image of extreme aspect (a valid 1x9,000,000 PNG) is cut to that
 * middle before resizing instead of being resized whole to billions of pixels, which libvips
 * refuses. Below 4:1 the whole image is kept, so ordinary photos are resized exactly as before.
 */
function centreRegion(
  width: number,
  height: number,
  options: CropGeometry,
): { left: number; top: number; width: number; height: number } {
  const shorter = Math.min(width, height);
  const longer = Math.max(width, height);
  if (longer <= 4 * shorter) return { left: 0, top: 0, width, height };
  // The crop's span on the long side in source pixels, plus the resampling kernel's reach (Lanczos3: 3 pixels a side).
  const span = Math.min(
    longer,
    Math.ceil(((Math.max(options.width, options.height) + 6) * shorter) / options.resizeShorterSide) + 2,
  );
  const start = Math.floor((longer - span) / 2);
  return width >= height
    ? { left: start, top: 0, width: span, height }
    : { left: 0, top: start, width, height: span };
}

async function readHeader(bytes: Buffer, format: ImageFormat): Promise<sharp.Metadata> {
  let meta: sharp.Metadata;
  try {
    // No pixel limit here: this only parses the header, and we want to report the real size.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw decodeFailure(err, format);
  }
  if (meta.format !== SHARP_FORMAT[format] || !meta.width || !meta.height) {
    throw new ClassifierError(
      'corrupt_image',
      `The file starts like ${format.toUpperCase()} but its header does not decode as one; it is damaged or not an image.`,
    );
  }
  return meta;
}

function decodeFailure(err: unknown, format: ImageFormat): ClassifierError {
  const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
  if (/exceeds pixel limit/i.test(detail)) {
    return new ClassifierError('image_too_large', `The image is larger than the pixel limit (${detail}).`);
  }
  return new ClassifierError(
    'corrupt_image',
    `The ${format.toUpperCase()} image could not be decoded (${detail}); it may be truncated or damaged.`,
    { cause: err },
  );
}
