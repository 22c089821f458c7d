// Repository paths used by the demo.
import { fileURLToPath } from 'node:url';

/** Repository root (absolute, with a trailing slash). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
