// An avatar picture ready for upload (profile and room avatars): the centre square of the chosen image, scaled down
// on a canvas (the geometry is src/domain/profile/avatarCrop's).
import { squareCrop } from '../domain/profile/avatarCrop';

/** The centre square of `file`, scaled down, as a PNG (or WebP/JPEG when the source was one). */
export async function squareAvatar(file: File): Promise<Blob> {
  const bitmap = await createImageBitmap(file);
  try {
    const crop = squareCrop(bitmap.width, bitmap.height);
    const canvas = document.createElement('canvas');
    canvas.width = crop.size;
    canvas.height = crop.size;
    const context = canvas.getContext('2d');
    if (!context) throw new Error('no canvas');
    context.drawImage(bitmap, crop.sx, crop.sy, crop.side, crop.side, 0, 0, crop.size, crop.size);
    const type = file.type === 'image/jpeg' || file.type === 'image/webp' ? file.type : 'image/png';
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('canvas export failed'))), type, 0.9),
    );
  } finally {
    bitmap.close();
  }
}
