import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'

/**
 * The server side of `pods/{name}/portforward` over WebSocket, as the API server speaks it to client-node:
 * subprotocol v4.channel.k8s.io, every binary message prefixed with its channel byte (0 data, 1 error), and
 * the first message of each channel carrying the port number (2 bytes little-endian). The pod end is a TCP
 * connection to a local port the test chooses.
 */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length
  const header =
    len < 126
      ? Buffer.from([0x80 | opcode, len])
      : len < 65536
        ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 0xff])
        : Buffer.concat([
            Buffer.from([0x80 | opcode, 127]),
            (() => {
              const b = Buffer.alloc(8)
              b.writeBigUInt64BE(BigInt(len))
              return b
            })(),
          ])
  return Buffer.concat([header, payload])
}

/** Client frames are masked; returns complete frames and leaves the rest in the buffer. */
function parseFrames(state: { buffer: Buffer }): Array<{ opcode: number; payload: Buffer }> {
  const frames: Array<{ opcode: number; payload: Buffer }> = []
  for (;;) {
    const b = state.buffer
    if (b.length < 2) return frames
    const opcode = b[0]! & 0x0f
    const masked = (b[1]! & 0x80) !== 0
    let len = b[1]! & 0x7f
    let offset = 2
    if (len === 126) {
      if (b.length < 4) return frames
      len = b.readUInt16BE(2)
      offset = 4
    } else if (len === 127) {
      if (b.length < 10) return frames
      len = Number(b.readBigUInt64BE(2))
      offset = 10
    }
    const maskAt = offset
    if (masked) offset += 4
    if (b.length < offset + len) return frames
    const payload = Buffer.from(b.subarray(offset, offset + len))
    if (masked) for (let i = 0; i < len; i++) payload[i]! ^= b[maskAt + (i % 4)]!
    frames.push({ opcode, payload })
    state.buffer = b.subarray(offset + len)
  }
}

export function acceptPortForward(
  req: IncomingMessage,
  socket: Duplex,
  port: number,
  targetPort: number,
): void {
  const key = req.headers['sec-websocket-key']
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
  if (!key || !offered.includes('v4.channel.k8s.io')) {
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')
    return
  }
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64')
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n`,
  )
  const portBytes = Buffer.alloc(2)
  portBytes.writeUInt16LE(port)
  socket.write(frame(2, Buffer.concat([Buffer.from([0]), portBytes])))
  socket.write(frame(2, Buffer.concat([Buffer.from([1]), portBytes])))

  const pod: Socket = connect(targetPort, '127.0.0.1')
  pod.on('data', (data: Buffer) => socket.write(frame(2, Buffer.concat([Buffer.from([0]), data]))))
  const close = (): void => {
    if (!socket.destroyed) socket.end(frame(8, Buffer.alloc(0)))
    pod.destroy()
  }
  pod.on('end', close)
  pod.on('error', (error) => {
    socket.write(frame(2, Buffer.concat([Buffer.from([1]), Buffer.from(String(error.message))])))
    close()
  })
  const state = { buffer: Buffer.alloc(0) }
  socket.on('data', (data: Buffer) => {
    state.buffer = Buffer.concat([state.buffer, data])
    for (const f of parseFrames(state)) {
      if (f.opcode === 8) return close()
      if (f.opcode === 9) socket.write(frame(10, f.payload))
      else if ((f.opcode === 2 || f.opcode === 0) && f.payload[0] === 0 && f.payload.length > 1) {
        pod.write(f.payload.subarray(1))
      }
    }
  })
  socket.on('close', () => pod.destroy())
  socket.on('error', () => pod.destroy())
}
