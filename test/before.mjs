// tap's "before" step: migrates the run's template database (test/step.mjs).
import { runStep } from './step.mjs';

runStep('test/setup.ts');
