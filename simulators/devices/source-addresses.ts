/**
 * Source addresses on loopback for device connections. One source address
 * to one destination port slows to under 1,000 connects per second past
 * about 7,000-14,000 connections (the kernel's port allocator), so devices are
 * spread over 127.1.x.y, `perAddress` devices each. No set-up is needed: the
 * whole of 127.0.0.0/8 is local on Linux.
 */
export function sourceAddressFor(deviceIndex: number, perAddress: number): string {
  const address = Math.floor(deviceIndex / perAddress);
  // 250 hosts per /24 keeps clear of .0 and .255.
  return `127.1.${Math.floor(address / 250) % 256}.${1 + (address % 250)}`;
}

/** How many source addresses a fleet of `devices` uses. */
export function sourceAddressCount(devices: number, perAddress: number): number {
  return Math.ceil(devices / perAddress);
}
