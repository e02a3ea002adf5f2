/** Real encoder output used by the media tests (see test/fixtures/mkv/README.md). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../../fixtures/mkv/', import.meta.url));

export function fixture(name: string): Uint8Array {
  return Uint8Array.from(readFileSync(dir + name));
}

/** codec_data that GStreamer 1.22's h264parse/h265parse put in the caps for the same fixture files. */
export const GST_CODEC_DATA = {
  'h264-high-330x250.h264':
    '01640014ffe1001f67640014acb202a10f24980b5060606a50000003001000000303c8f142a48001000568ebccb22c',
  'h264-baseline-160x120.h264':
    '0142c015ffe1001d6742c015d902847e5c05a830303528000003000800000301e478b1724001000468cb8cb2',
  'h265-main-330x250.h265':
    '0101600000009000000000003ff000fcfdf8f800000f03200001001840010c01ffff01600000030090000003000003003f959809210001003342010101600000030090000003000003003fa00a88040724996566924cafff000100016a0c0c0c08000003000800000300f04022000100074401c172b46240',
} as const;
