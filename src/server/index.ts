export { HttpServer, errorResponse, type HttpServerOptions } from './http-server.js';
export { Router, type RouteOptions, type AuthLevel } from './router.js';
export { HttpError, errorBody, type ErrorType } from './errors.js';
export { json, text, apiSuccess, type Request, type Response, type Handler, type Chunk } from './request.js';
export { registerStatusRoutes, type StatusDeps } from './routes-status.js';
