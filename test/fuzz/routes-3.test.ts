import { fuzzRoutes } from './routes.ts';

fuzzRoutes(2, 3);
