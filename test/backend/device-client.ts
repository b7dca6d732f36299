// Test helper: a minimal device on the backend's /devices protocol, with a
// message queue so no frame is missed between awaits.
import { WebSocket, type ClientOptions } from 'ws';

/** How the server closed the connection. */
export interface CloseInfo {
  code: number;
  reason: string;
  /** Monotonic time of the close event, in ms (performance.now()). */
  atMs: number;
}

/** A connected test device. */
export interface TestDevice {
  readonly socket: WebSocket;
  /** Pings received from the server so far. */
  pings(): number;
  send(message: unknown): void;
  /** Next JSON frame from the server; rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  readonly closed: Promise<CloseInfo>;
}

const open = new Set<WebSocket>();

/** Opens a WebSocket to `url` and waits for it to be open. */
export function connectDevice(url: string, options: ClientOptions = {}): Promise<TestDevice> {
  const socket = new WebSocket(url, { perMessageDeflate: false, ...options });
  open.add(socket);
  const queue: Record<string, unknown>[] = [];
  const waiters: ((message: Record<string, unknown>) => void)[] = [];
  let pings = 0;
  socket.on('ping', () => (pings += 1));
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as Record<string, unknown>;
    const waiter = waiters.shift();
    if (waiter === undefined) queue.push(message);
    else waiter(message);
  });
  const closed = new Promise<CloseInfo>((resolve) => {
    socket.once('close', (code, reason) => {
      open.delete(socket);
      resolve({ code, reason: reason.toString(), atMs: performance.now() });
    });
  });
  const device: TestDevice = {
    socket,
    pings: () => pings,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next: (timeoutMs = 2000) => {
      const queued = queue.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no message from the backend within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (message: Record<string, unknown>): void => {
          clearTimeout(timer);
          resolve(message);
        };
        waiters.push(waiter);
      });
    },
    closed,
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(device));
    socket.once('error', reject);
  });
}

/** Connects and says hello; returns the device and the welcome it got. */
export async function connectAndHello(
  url: string,
  deviceId: string,
  options: ClientOptions = {},
): Promise<{ device: TestDevice; welcome: Record<string, unknown> }> {
  const device = await connectDevice(url, options);
  device.send({ type: 'hello', deviceId, token: 'test-token' });
  return { device, welcome: await device.next() };
}

/** Attempts an upgrade that the backend is expected to refuse; returns the HTTP answer. */
export function refusedUpgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.once('open', () => {
      socket.terminate();
      reject(new Error(`upgrade to ${url} was accepted, expected a refusal`));
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    socket.once('error', reject);
  });
}

/** Terminates every test device still open; call from afterEach. */
export function terminateAllDevices(): void {
  for (const socket of open) socket.terminate();
  open.clear();
}
