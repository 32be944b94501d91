// BGP control plane: settings -> values, which Services are BGP Services, their allocation requests,
// and the routes a speaker announces (docs/BGP.md).
export * from './settings.ts';
export * from './choice.ts';
export * from './annotations.ts';
export * from './service.ts';
export * from './routes.ts';
