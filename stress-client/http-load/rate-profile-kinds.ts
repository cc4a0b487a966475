/**
 * Profile kinds, as named by `--profile`. Apart from rate-profile.ts (the schema) so a command's
 * flags and help can name them without loading the schema library.
 */
export const RATE_PROFILE_KINDS = ['steady', 'step', 'burst'] as const;
