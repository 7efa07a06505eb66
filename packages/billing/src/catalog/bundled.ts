import catalogJson from '../../../../supabase/billing-catalog.json' with { type: 'json' };
import { type Catalog, parseCatalog } from './schema';

/** The repository's catalog file, validated once. */
export const catalog: Catalog = parseCatalog(catalogJson);
