/**
 * Matroska element IDs used by kvssink, named as in the Matroska specification
 * (RFC 9559). Shared by the writer (src/mkv) and the local endpoint's reader (src/local).
 */
export enum EbmlId {
  EBML = 0x1a45dfa3,
  EBMLVersion = 0x4286,
  EBMLReadVersion = 0x42f7,
  EBMLMaxIDLength = 0x42f2,
  EBMLMaxSizeLength = 0x42f3,
  DocType = 0x4282,
  DocTypeVersion = 0x4287,
  DocTypeReadVersion = 0x4285,
  Void = 0xec,
  Segment = 0x18538067,
  SeekHead = 0x114d9b74,
  Info = 0x1549a966,
  SegmentUUID = 0x73a4,
  TimestampScale = 0x2ad7b1,
  Duration = 0x4489,
  Title = 0x7ba9,
  MuxingApp = 0x4d80,
  WritingApp = 0x5741,
  Tracks = 0x1654ae6b,
  TrackEntry = 0xae,
  TrackNumber = 0xd7,
  TrackUID = 0x73c5,
  TrackType = 0x83,
  Name = 0x536e,
  CodecID = 0x86,
  CodecPrivate = 0x63a2,
  DefaultDuration = 0x23e383,
  Video = 0xe0,
  PixelWidth = 0xb0,
  PixelHeight = 0xba,
  Audio = 0xe1,
  SamplingFrequency = 0xb5,
  Channels = 0x9f,
  BitDepth = 0x6264,
  Cluster = 0x1f43b675,
  Timestamp = 0xe7,
  Position = 0xa7,
  PrevSize = 0xab,
  SimpleBlock = 0xa3,
  BlockGroup = 0xa0,
  Block = 0xa1,
  BlockDuration = 0x9b,
  ReferenceBlock = 0xfb,
  Cues = 0x1c53bb6b,
  Chapters = 0x1043a770,
  Attachments = 0x1941a469,
  Tags = 0x1254c367,
  Tag = 0x7373,
  Targets = 0x63c0,
  TargetTypeValue = 0x68ca,
  SimpleTag = 0x67c8,
  TagName = 0x45a3,
  TagString = 0x4487,
  TagBinary = 0x4485,
}

/** Matroska TrackType values. */
export const TRACK_TYPE_VIDEO = 1;
export const TRACK_TYPE_AUDIO = 2;

/** The simple tag the KVS producer puts after the last cluster at EOS ("end of fragment"). */
export const END_OF_FRAGMENT_TAG = 'AWS_KINESISVIDEO_END_OF_FRAGMENT';
