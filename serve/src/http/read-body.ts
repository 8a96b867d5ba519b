import type { IncomingMessage } from 'node:http'
import { InputError } from '../protocols/input-error.js'

/** The raw body, refused with 413 as soon as it passes `limit` bytes (before it is all in memory). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(
      new InputError(`request body of ${declared} bytes is over the ${limit}-byte limit`, 413),
    )
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    req.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      if (size > limit) {
        done = true
        chunks.length = 0
        reject(new InputError(`request body is over the ${limit}-byte limit`, 413))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (done) return
      done = true
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size))
    })
    req.on('error', (error) => {
      if (done) return
      done = true
      reject(new InputError(`request body could not be read: ${error.message}`))
    })
  })
}

/** Media type without parameters, lower case; '' when absent. */
export function mediaType(req: IncomingMessage): string {
  const header = req.headers['content-type']
  if (header === undefined) return ''
  const semi = header.indexOf(';')
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase()
}

export function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new InputError('request body is empty; send a JSON document')
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw new InputError(`request body is not valid JSON: ${(error as Error).message}`)
  }
}
