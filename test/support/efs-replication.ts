import { Agent, createServer, request as httpRequest, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Destination, ReplicationConfigurationDescription } from '@aws-sdk/client-efs';

/**
 * A DescribeReplicationConfigurations answer for aws-sdk-client-mock (the emulator has no EFS
 * replication APIs): `sourceFileSystemId` in `sourceRegion` replicating to one destination.
 */
export function replicationTo(
  sourceFileSystemId: string,
  sourceRegion: string,
  destination: Destination,
): { Replications: ReplicationConfigurationDescription[] } {
  return {
    Replications: [
      {
        SourceFileSystemId: sourceFileSystemId,
        SourceFileSystemRegion: sourceRegion,
        SourceFileSystemArn: 'arn',
        OriginalSourceFileSystemArn: 'arn',
        CreationTime: new Date(),
        Destinations: [destination],
      },
    ],
  };
}

/** How the stand-in answers one DeleteReplicationConfiguration. */
export type DeleteAnswer =
  /** Deletes the configuration and answers 204. */
  | 'delete'
  /** Destroys the connection without answering (the source region does not answer). */
  | 'no-answer'
  /** An AWS error answer, e.g. `{ status: 403, code: 'AccessDeniedException' }`. */
  | { readonly status: number; readonly code: string };

export interface ReplicationStandInOptions {
  /** Where every other request goes: the emulator's endpoint. */
  readonly target: string;
  /** Replication configurations to start with, by DR (destination) file system id. */
  readonly replications: Record<string, ReplicationConfigurationDescription>;
  /**
   * The answer to each delete, by deletion mode (`ALL_CONFIGURATIONS` when the request names
   * none). @default - 'delete' for both
   */
  readonly onDelete?: Partial<Record<'ALL_CONFIGURATIONS' | 'LOCAL_CONFIGURATION_ONLY', DeleteAnswer>>;
}

export interface ReplicationStandIn {
  /** `http://127.0.0.1:<port>`: use as `AwsTarget.endpoint`. */
  readonly endpoint: string;
  /** The configurations left, by DR file system id. */
  replications(): Record<string, ReplicationConfigurationDescription>;
  /** Every DeleteReplicationConfiguration received (retries included): file system id and mode. */
  readonly deletes: { readonly fileSystemId: string; readonly mode: string }[];
  stop(): Promise<void>;
}

/**
 * The EFS replication APIs the emulator lacks, over the wire, in front of the emulator: the
 * REST routes of DescribeReplicationConfigurations and DeleteReplicationConfiguration are
 * answered from an in-memory table as EFS answers them (JSON, 204, `x-amzn-errortype`), and
 * every other request is forwarded to `target` unchanged (the SDK signs for this host:port and
 * the emulator does not check signatures). A DR file system is looked up as the destination of
 * its configuration, which is how the restore calls both APIs.
 */
export async function startReplicationStandIn(opts: ReplicationStandInOptions): Promise<ReplicationStandIn> {
  const table = new Map(Object.entries(opts.replications));
  const deletes: { fileSystemId: string; mode: string }[] = [];
  const target = new URL(opts.target);
  const agent = new Agent({ keepAlive: true });
  const error = (res: ServerResponse, status: number, code: string, message: string) => {
    const body = JSON.stringify({ ErrorCode: code, Message: message });
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-amzn-errortype': code,
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (req.method === 'GET' && url.pathname === '/2015-02-01/file-systems/replication-configurations') {
      const config = table.get(url.searchParams.get('FileSystemId') ?? '');
      if (!config) {
        error(res, 404, 'ReplicationNotFound', 'No replication configuration found.');
        return;
      }
      // Timestamps go as epoch seconds, as EFS sends them (the replacer sees a Date after toJSON).
      const body = JSON.stringify({ Replications: [config] }, function (this: Record<string, unknown>, k, v) {
        const raw = this[k];
        return raw instanceof Date ? raw.getTime() / 1000 : v;
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const del = /^\/2015-02-01\/file-systems\/([^/]+)\/replication-configuration$/.exec(url.pathname);
    if (req.method === 'DELETE' && del) {
      const fileSystemId = decodeURIComponent(del[1] ?? '');
      const mode = url.searchParams.get('deletionMode') ?? 'ALL_CONFIGURATIONS';
      deletes.push({ fileSystemId, mode });
      const answer = opts.onDelete?.[mode as 'ALL_CONFIGURATIONS'] ?? 'delete';
      if (answer === 'no-answer') {
        req.socket.destroy();
        return;
      }
      if (answer !== 'delete') {
        error(res, answer.status, answer.code, `${answer.code} (stand-in)`);
        return;
      }
      if (!table.delete(fileSystemId)) {
        error(res, 404, 'ReplicationNotFound', 'No replication configuration found.');
        return;
      }
      res.writeHead(204);
      res.end();
      return;
    }
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    replications: () => Object.fromEntries(table),
    deletes,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
