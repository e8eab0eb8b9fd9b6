// tap's "after" step: drops the PostgreSQL template database (test/step.mjs).
import { runStep } from './step.mjs';

runStep('test/teardown.ts');
