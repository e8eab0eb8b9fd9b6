export * from './accounts.ts';
export * from './actors.ts';
export * from './agreements.ts';
export * from './audit.ts';
export * from './grants.ts';
export * from './imports.ts';
export * from './needs.ts';
export * from './reference.ts';
