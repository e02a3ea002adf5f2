/**
 * The error vocabulary of the local endpoint, from the developer guide: API exceptions with
 * their HTTP status (API reference "Errors" sections, Common Errors L13330), and PutMedia
 * ERROR acknowledgement ids (PutMedia reference, "ErrorId and ErrorCode").
 */

/** HTTP status of each API exception type the local endpoint can return. */
export const API_ERROR_STATUS = {
  AccountStreamLimitExceededException: 400,
  ClientLimitExceededException: 400,
  ConnectionLimitExceededException: 400,
  DeviceStreamLimitExceededException: 400,
  InvalidArgumentException: 400,
  InvalidDeviceException: 400,
  InvalidEndpointException: 400,
  InvalidResourceFormatException: 400,
  NotAuthorizedException: 401,
  ResourceInUseException: 400,
  ResourceNotFoundException: 404,
  TagsPerResourceExceededLimitException: 400,
  VersionMismatchException: 400,
  NoDataRetentionException: 400,
  // Common Errors and the AWS JSON protocol's own errors.
  SerializationException: 400,
  UnknownOperationException: 404,
  MissingAuthenticationTokenException: 403,
  UnrecognizedClientException: 403,
  ExpiredTokenException: 403,
  InvalidSignatureException: 403,
  IncompleteSignatureException: 400,
  RequestExpired: 400,
  InternalFailure: 500,
  ServiceUnavailable: 503,
} as const;

export type ApiErrorType = keyof typeof API_ERROR_STATUS;

/** An API error to send as `x-amzn-ErrorType` + `{"__type","message"}` with its HTTP status. */
export type ApiError = { errorType: string; status: number; message: string };

export function apiError(errorType: ApiErrorType, message: string): ApiError {
  return { errorType, status: API_ERROR_STATUS[errorType], message };
}

export function isApiError(value: unknown): value is ApiError {
  return typeof value === 'object' && value !== null && 'errorType' in value && 'status' in value && 'message' in value;
}

/** PutMedia ERROR ack ids and codes (PutMedia reference). */
export const ACK_ERROR_CODES: Readonly<Record<number, string>> = {
  4000: 'STREAM_READ_ERROR',
  4001: 'MAX_FRAGMENT_SIZE_REACHED',
  4002: 'MAX_FRAGMENT_DURATION_REACHED',
  4003: 'MAX_CONNECTION_DURATION_REACHED',
  4004: 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS',
  4005: 'MORE_THAN_ALLOWED_TRACKS_FOUND',
  4006: 'INVALID_MKV_DATA',
  4007: 'INVALID_PRODUCER_TIMESTAMP',
  4008: 'STREAM_NOT_ACTIVE',
  4009: 'FRAGMENT_METADATA_LIMIT_REACHED',
  4010: 'TRACK_NUMBER_MISMATCH',
  4011: 'FRAMES_MISSING_FOR_TRACK',
  4500: 'KMS_KEY_ACCESS_DENIED',
  4501: 'KMS_KEY_DISABLED',
  4502: 'KMS_KEY_VALIDATION_ERROR',
  4503: 'KMS_KEY_UNAVAILABLE',
  4504: 'KMS_KEY_INVALID_USAGE',
  4505: 'KMS_KEY_INVALID_STATE',
  4506: 'KMS_KEY_NOT_FOUND',
  5000: 'INTERNAL_ERROR',
  5001: 'ARCHIVAL_ERROR',
};

export function ackErrorCode(errorId: number): string {
  return ACK_ERROR_CODES[errorId] ?? `UNKNOWN_ERROR_${errorId}`;
}

/** GetMedia error ids reported in the AWS_KINESISVIDEO_ERROR_ID tag (GetMedia reference). */
export const GET_MEDIA_ERROR_TEXT: Readonly<Record<number, string>> = {
  3002: 'Error writing to the stream',
  4000: 'Requested fragment is not found',
  4500: "Access denied for the stream's KMS key",
  4501: "Stream's KMS key is disabled",
  4502: "Validation error on the stream's KMS key",
  4503: 'KMS key specified in the stream is unavailable',
  4504: 'Invalid usage of the KMS key specified in the stream',
  4505: 'Invalid state of the KMS key specified in the stream',
  4506: 'Unable to find the KMS key specified in the stream',
  5000: 'Internal error',
};
