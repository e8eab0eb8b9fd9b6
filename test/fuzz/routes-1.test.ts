import { fuzzRoutes } from './routes.ts';

fuzzRoutes(0, 3);
