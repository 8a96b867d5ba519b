import type { IncomingMessage } from 'node:http'
import busboy from 'busboy'
import { InputError } from '../protocols/input-error.js'

/** The first file part of a multipart/form-data upload (field `image` or `file` by convention), size-capped. */
export function readUploadedFile(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: limit, fields: 20, parts: 25 } })
    } catch (error) {
      reject(new InputError(`multipart body cannot be read: ${(error as Error).message}`))
      return
    }
    let file: Buffer | undefined
    let failed: InputError | undefined
    parser.on('file', (_name, stream) => {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('limit', () => {
        failed ??= new InputError(`the uploaded file is over the ${limit}-byte limit`, 413)
      })
      stream.on('close', () => {
        if (!failed) file = Buffer.concat(chunks)
      })
    })
    parser.on('error', (error: Error) => {
      reject(failed ?? new InputError(`multipart body cannot be read: ${error.message}`))
    })
    parser.on('close', () => {
      if (failed) reject(failed)
      else if (!file)
        reject(
          new InputError("the multipart body has no file; upload the image as a file field named 'image'"),
        )
      else if (file.length === 0) reject(new InputError('the uploaded file is empty'))
      else resolve(file)
    })
    req.pipe(parser)
  })
}
