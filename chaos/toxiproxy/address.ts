import { isIP } from 'node:net';

/** A TCP address as Toxiproxy writes it: "host:port", "[v6]:port", ":port". */
export interface HostPort {
  /** "" means every interface. */
  host: string;
  port: number;
}

/**
 * Splits "host:port" as Go's net.SplitHostPort does (the port is after the
 * last colon; an IPv6 host is in brackets). Throws an Error whose message
 * reads like Go's, e.g. "address foo: missing port in address".
 */
export function parseHostPort(text: string): HostPort {
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw new Error(`address ${text}: missing port in address`);
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':')) throw new Error(`address ${text}: too many colons in address`);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) throw new Error(`address ${text}: invalid port`);
  return { host, port };
}

/** "127.0.0.1:80", "[::1]:80". */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True for names and addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.')) || h === '::ffff:127.0.0.1';
}
