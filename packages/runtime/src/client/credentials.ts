// The parts of a RestTransport that a credential swap compares (TLS material) and that guard its writes (WriteGate).

/**
 * Asked before every write: the cluster's identity is checked again after each reconnect (RestTransport.onReconnect),
 * and a write waits for that check (or is refused when the server turned out to be another cluster). check() is asked
 * once more, without waiting, just before the write's bytes are sent; a write it refuses is tried again after
 * beforeWrite() ran again, unless that throws.
 */
export interface WriteGate {
  beforeWrite(signal?: AbortSignal): Promise<void>;
  check(): Error | undefined;
}

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export function tlsOf(opts: Record<string, unknown>): TlsMaterial {
  return {
    ca: opts.ca as Buffer | undefined,
    cert: opts.cert as Buffer | undefined,
    key: opts.key as Buffer | undefined,
    rejectUnauthorized: opts.rejectUnauthorized as boolean | undefined,
    servername: opts.servername as string | undefined,
  };
}

export function sameTls(a: TlsMaterial, b: TlsMaterial): boolean {
  const eq = (x?: Buffer, y?: Buffer) => (x && y ? x.equals(y) : x === y);
  return eq(a.ca, b.ca) && eq(a.cert, b.cert) && eq(a.key, b.key) && a.rejectUnauthorized === b.rejectUnauthorized && a.servername === b.servername;
}
