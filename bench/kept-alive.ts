// A lean HTTP client for benches: node:http over kept-alive sockets (fetch cost the send→sync bench client about
// as much CPU per message as the server, on the same two cores). A request on a kept-alive socket that the server
// closed meanwhile fails with ECONNRESET before it reached the server: it is sent again, once (what the benches
// send is idempotent: a PUT with a transaction ID, or a GET).
import http from 'node:http';

export interface TextReply {
  status: number;
  text: string;
}

export class KeptAliveClient {
  private readonly agent: http.Agent;
  private readonly authorization: string;

  constructor(
    private readonly port: number,
    accessToken: string,
    sockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
    this.authorization = `Bearer ${accessToken}`;
  }

  /** `body` is JSON text (or nothing). */
  request(method: string, path: string, body?: string, retried = false): Promise<TextReply> {
    return this.once(method, path, body).catch((error: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
      if (!retried && error.reusedSocket && error.code === 'ECONNRESET') return this.request(method, path, body, true);
      throw error;
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private once(method: string, path: string, body: string | undefined): Promise<TextReply> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { Authorization: this.authorization };
      if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = Buffer.byteLength(body);
      }
      const req = http.request({ host: '127.0.0.1', port: this.port, path, method, agent: this.agent, headers }, (res) => {
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      });
      req.on('error', (error: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
        error.reusedSocket = req.reusedSocket;
        reject(error);
      });
      req.end(body);
    });
  }
}
