/** Public, tenant-scoped billing API. Anything that reaches beyond one tenant lives behind its own subpath. */
export {};
