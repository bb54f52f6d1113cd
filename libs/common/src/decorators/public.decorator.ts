import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'isPublic';

/** Opts a route out of the global authentication guard; every other route needs a token. */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
