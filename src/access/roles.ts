/** The roles a caller can have: stored on the user, carried by the session and the access token. */
export const ROLES = ['customer', 'admin'] as const;
export type Role = (typeof ROLES)[number];
