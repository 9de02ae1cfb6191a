import { createApp } from './app';

const port = Number(process.env.PORT ?? 3000);
const server = createApp().listen(port, '127.0.0.1', () => {
  console.log(
    `hospital-demo listening on http://127.0.0.1:${port}  (try: curl http://127.0.0.1:${port}/healthz)`,
  );
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
