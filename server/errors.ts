/**
 * The catalogue of errors the HTTP API answers with. Each becomes `{error, message}` with its status.
 */
import createError from '@fastify/error';

export const NotAuthenticated = createError('not_authenticated', 'Log in first', 401);
export const BadCredentials = createError('bad_credentials', 'Wrong username or password', 401);
export const Forbidden = createError('forbidden', '%s', 403);
export const StoryNotFound = createError('not_found', 'No such story', 404);
export const NotFound = createError('not_found', '%s', 404);
export const Conflict = createError('conflict', '%s', 409);
export const StorageUnavailable = createError(
  'storage_unavailable',
  'Storage is unavailable; nothing was changed',
  503,
);
export const BadRequest = createError('bad_request', '%s', 400);
export const UnsupportedMediaType = createError('unsupported_media_type', '%s', 415);
export const PayloadTooLarge = createError('payload_too_large', '%s', 413);
