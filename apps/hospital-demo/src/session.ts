import os from 'node:os';
import path from 'node:path';

/** What `npm start` leaves for the tour: the URLs and the keys it generated (file mode 0600). */
export interface DemoSession {
  serviceUrl: string;
  apiKey?: string;
  adminKey?: string;
  registryControlUrl?: string;
  pid: number;
}

/** Where the running demo on `port` writes its session (deleted when it exits). */
export function sessionFile(port: number): string {
  return path.join(os.tmpdir(), `hospital-demo-${port}.json`);
}
