// The library ships no typings; only what encryption.ts calls.
declare module '@authenio/xml-encryption' {
  type Callback = (err: Error | null, result: string) => void;
  const xmlenc: { encrypt(this: void, content: string, options: Record<string, unknown>, callback: Callback): void };
  export default xmlenc;
}
