import { sniffImageFormat } from './image-sniffer';

describe('sniffImageFormat', () => {
  it.each([
    ['JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]), 'image/jpeg'],
    ['PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), 'image/png'],
    ['WebP', Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBP')]), 'image/webp'],
  ])('recognises %s by its bytes', (_name, head, mime) => {
    expect(sniffImageFormat(head)?.mime).toBe(mime);
  });

  it.each([
    ['text', Buffer.from('just some text, named photo.jpg')],
    ['GIF', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00')],
    ['a RIFF that is not WebP (WAV)', Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WAVE')])],
    ['a truncated PNG signature', Buffer.from([0x89, 0x50, 0x4e, 0x47])],
    ['nothing', Buffer.alloc(0)],
  ])('refuses %s', (_name, head) => {
    expect(sniffImageFormat(head)).toBeNull();
  });
});
