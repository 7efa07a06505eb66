// Tests run in plain Node, not in a React server bundle: the `server-only` guard is a no-op here.
export {};
