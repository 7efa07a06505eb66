// Public surface of @bulkhead/tenancy. Anything that can reach beyond one tenant lives behind
// its own subpath export, never here.
export {};
