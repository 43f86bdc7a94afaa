// msgpack-lite (the encoding aedes-persistence-redis stores packets in), used by tests to write the store directly.
declare module 'msgpack-lite' {
  export function encode(value: unknown): Buffer;
  export function decode(buf: Buffer | Uint8Array): unknown;
  const msgpack: { encode: typeof encode; decode: typeof decode };
  export default msgpack;
}
