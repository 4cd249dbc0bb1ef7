import { InvalidArgumentError } from '../errors.js';

/**
 * The grpc-js target (`host:port`) for a watch address. Only host and port matter: TLS is chosen by
 * configuration, never by the scheme (`https://` in Dicer's addresses is cosmetic). An address
 * without `://` (the Clerk's `"<sliceletHost>:24510"`) is read as `http://<address>`. A missing
 * port defaults to the scheme's (443 for `https`, else 80).
 *
 * @throws {InvalidArgumentError} when the address does not parse as a URI with a host.
 * @see protocol.md §3.1
 */
export function watchAddressToGrpcTarget(address: string): string {
  const uri = address.includes('://') ? address : `http://${address}`;
  let url: URL;
  try {
    url = new URL(uri);
  } catch (err) {
    throw new InvalidArgumentError(`watch address is not a valid URI: ${address}`, { cause: err });
  }
  if (url.hostname === '') throw new InvalidArgumentError(`watch address has no host: ${address}`);
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  // `hostname` keeps the brackets of an IPv6 literal, which grpc-js expects.
  return `${url.hostname}:${port}`;
}
