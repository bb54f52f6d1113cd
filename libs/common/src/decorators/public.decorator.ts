import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'isPublic';

/** Opts a route out of the global authentication guard; every other route needs a token. */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);

export const GUEST_ALLOWED_KEY = 'guestAllowed';

/**
 * The route also serves callers without `Authorization` (guest shoppers, who carry an
 * `X-Cart-Token` instead); a request that does send a token must still send a valid one.
 */
export const GuestAllowed = () => SetMetadata(GUEST_ALLOWED_KEY, true);
