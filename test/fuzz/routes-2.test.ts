import { fuzzRoutes } from './routes.ts';

fuzzRoutes(1, 3);
