import { z } from 'zod';

/** A workspace's name and URL name, as the create and settings forms take them. */
export const workspaceInput = z.object({
  name: z.string().trim().min(1, 'Give your workspace a name.').max(100, 'Use at most 100 characters.'),
  slug: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9][a-z0-9-]{1,46}[a-z0-9]$/, 'Use 3–48 lower-case letters, digits and inner hyphens.'),
});
