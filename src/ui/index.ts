export { registerUiRoutes, CONTENT_SECURITY_POLICY } from './routes.js';
export { chooseEncoding, loadAssets, type Asset, type Encoding } from './assets.js';
