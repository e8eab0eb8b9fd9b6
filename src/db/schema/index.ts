export * from './accounts.ts';
export * from './actors.ts';
export * from './audit.ts';
export * from './grants.ts';
export * from './reference.ts';
