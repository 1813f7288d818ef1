// The thumbnail worker thread (see thumbnail.ts): decodes, scales or crops, and encodes one image per message with
// jimp, off the server's event loop. Sizes are already decided and checked by the caller. Plain JavaScript: worker
// threads don't inherit the tsx loader.
import { parentPort } from 'node:worker_threads';
import { Jimp } from 'jimp';

parentPort.on('message', async (job) => {
  try {
    const image = await Jimp.read(Buffer.from(job.bytes));
    if (job.method === 'scale') {
      if (job.width !== image.width || job.height !== image.height) image.resize({ w: job.width, h: job.height });
    } else image.cover({ w: job.width, h: job.height });
    const contentType = job.contentType === 'image/jpeg' ? 'image/jpeg' : 'image/png';
    const bytes = contentType === 'image/jpeg' ? await image.getBuffer('image/jpeg', { quality: 80 }) : await image.getBuffer('image/png');
    parentPort.postMessage({ ok: true, contentType, bytes: new Uint8Array(bytes), width: image.width, height: image.height });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: error instanceof Error ? error.message.slice(0, 200) : 'the image does not decode' });
  }
});
