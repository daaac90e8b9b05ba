import sharp from 'sharp'

/**
 * A card's thumbnail from the operator's picture: JPEG, 5:4, at most 200 KB (what WeChat
 * shows on link and mini-program cards; larger ones are refused or shown broken).
 *
 * sharp, not a pure-JS library: sharp 0.35 has no install script and brings libvips as N-API
 * prebuilds in its optional @img/* packages (one per platform, glibc and musl), so it installs
 * from the registry alone and the same binary runs on Node 20, 22 and 24. It decodes on
 * libuv's thread pool in ~0.1 s; jimp (pure JS) took 3–15 s per picture on this machine, on
 * the event loop — a reload with a new card would have stalled every room's answers.
 */
export const THUMB_MAX_BYTES = 200 * 1024
export const THUMB_WIDTH = 500
export const THUMB_HEIGHT = 400

export async function makeThumbnail(picture: Buffer): Promise<Buffer> {
  // the largest quality that fits; a tiny picture is one try
  for (const quality of [85, 75, 65, 50, 35]) {
    const jpeg = await sharp(picture, { animated: false })
      .rotate() // the EXIF orientation a phone wrote
      .resize(THUMB_WIDTH, THUMB_HEIGHT, { fit: 'cover', position: 'attention' })
      .flatten({ background: '#ffffff' }) // a transparent PNG gets white, not black
      .jpeg({ quality, mozjpeg: true })
      .toBuffer()
    if (jpeg.length <= THUMB_MAX_BYTES) return jpeg
  }
  // a picture of noise: half the size always fits
  return sharp(picture, { animated: false })
    .rotate()
    .resize(THUMB_WIDTH / 2, THUMB_HEIGHT / 2, { fit: 'cover' })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 50 })
    .toBuffer()
}
