import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  classFolders,
  jpegOf,
  maskOf,
  pngOf,
  segmentationPairs,
  writeFiles,
} from './__fixtures__/image-dataset.js'
import { decodeImage, encodePng } from './decode-image.js'
import { runImageQa, type ImageQaReport } from './image-qa.js'
import { readImageClassification } from './load-images.js'

let base: string
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'image-qa-'))
})
afterAll(() => rm(base, { recursive: true, force: true }))

async function dataset(name: string, files: Record<string, Buffer | string>): Promise<string> {
  const root = join(base, name)
  await writeFiles(root, files)
  return root
}

const check = (report: ImageQaReport, name: string) => {
  const found = report.checks.find((c) => c.check === name)
  if (!found) throw new Error(`no ${name} check in ${report.checks.map((c) => c.check).join(', ')}`)
  return found
}
const failing = (report: ImageQaReport) => report.checks.filter((c) => !c.success).map((c) => c.check)

describe('decodeImage', () => {
  it('keeps the channels the file declares, for PNG and JPEG', () => {
    for (const channels of [1, 2, 3, 4]) {
      const image = decodeImage(pngOf(7, 5, 3, channels), 'x.png')
      expect(image).toMatchObject({ format: 'png', width: 5, height: 3, channels })
      expect(image.pixels).toHaveLength(5 * 3 * channels)
    }
    const grey = decodeImage(
      encodePng({ width: 2, height: 1, channels: 1, pixels: Uint8Array.of(3, 250) }),
      'g',
    )
    expect([...grey.pixels]).toEqual([3, 250])
    expect(decodeImage(jpegOf(1, 6, 4), 'x.jpg')).toMatchObject({
      format: 'jpeg',
      width: 6,
      height: 4,
      channels: 3,
    })
  })

  it('names what is wrong with a file that is not an image or is cut short', () => {
    expect(() => decodeImage(Buffer.from('hello'), 'a.png')).toThrow(/a\.png: not a PNG or JPEG/)
    expect(() => decodeImage(pngOf(1).subarray(0, 40), 'b.png')).toThrow(/b\.png: corrupt PNG/)
  })
})

describe('runImageQa: classification from class folders', () => {
  it('passes a clean dataset and profiles it', async () => {
    const root = await dataset('clean-folders', classFolders(['cat', 'dog', 'fox'], 6))
    const report = await runImageQa({ root })
    expect(failing(report)).toEqual([])
    expect(report.status).toBe('pass')
    expect(report.summary).toMatchObject({ images: 18, classes: 3, failed: 0, warned: 0 })
    expect(report.profile.sizes).toEqual([{ size: '8x8', count: 18 }])
    expect(report.profile.classes.map((c) => c.images)).toEqual([6, 6, 6])
    expect(report.dataset.layout).toBe('folders')
  })

  it('finds and names each planted fault: corrupt, odd size, odd channels, duplicate, imbalance', async () => {
    const files: Record<string, Buffer | string> = classFolders(['cat', 'dog'], 30)
    files['cat/broken.png'] = pngOf(1).subarray(0, 50)
    files['dog/notes.jpg'] = 'not really a jpeg'
    files['dog/wide.png'] = pngOf(77, 9, 8)
    files['dog/colour.png'] = pngOf(78, 8, 8, 3)
    files['dog/copy.png'] = files['cat/003.png']!
    files['rare/only.png'] = pngOf(99)
    files['empty/readme.txt'] = 'no images here'
    const root = await dataset('faulty-folders', files)
    const report = await runImageQa({ root })
    expect(report.status).toBe('fail')
    expect(failing(report).sort()).toEqual(
      ['class_balance', 'duplicate_images', 'image_channels', 'image_size', 'unreadable_images'].sort(),
    )
    expect(check(report, 'unreadable_images').observed).toMatch(
      /2 of \d+ files: .*cat\/broken\.png \(corrupt PNG/,
    )
    expect(check(report, 'unreadable_images').observed).toMatch(/dog\/notes\.jpg \(not a PNG or JPEG/)
    expect(check(report, 'image_size')).toMatchObject({
      unexpectedCount: 1,
      observed: expect.stringContaining('dog/wide.png (9x8, most are 8x8)'),
    })
    expect(check(report, 'image_channels').observed).toContain(
      'dog/colour.png (3 channels, most are 1 channel)',
    )
    expect(check(report, 'duplicate_images').observed).toContain(
      'dog/copy.png (same content as cat/003.png; labelled dog, the copy cat)',
    )
    // The class folder with no image counts as a class at 0%.
    expect(check(report, 'class_balance').observed).toMatch(/empty: 0\.0%/)
    expect(check(report, 'class_balance').observed).toMatch(/rare: 1\.\d%/)
  })

  it('reads PNG and JPEG side by side', async () => {
    const files: Record<string, Buffer> = {}
    for (let i = 0; i < 4; i++) {
      files[`a/${i}.jpg`] = jpegOf(i)
      files[`b/${i}.jpeg`] = jpegOf(i + 50)
    }
    const report = await runImageQa({ root: await dataset('jpeg', files) })
    expect(report.profile.formats).toEqual({ jpeg: 8 })
    expect(failing(report)).toEqual([])
  })
})

describe('runImageQa: classification from a labels CSV', () => {
  it('names listed files that do not exist (with the CSV line) and images with no label', async () => {
    const files: Record<string, Buffer | string> = {
      'img/a.png': pngOf(1),
      'img/b.png': pngOf(2),
      'img/c.png': pngOf(3),
      'img/d.png': pngOf(4),
      'labels.csv': 'file,label\nimg/a.png,yes\nimg/b.png,no\nimg/gone.png,yes\nimg/c.png,no\n',
    }
    const root = await dataset('csv', files)
    const report = await runImageQa({ root, labels: join(root, 'labels.csv') })
    expect(report.dataset.layout).toBe('csv')
    expect(failing(report).sort()).toEqual(['missing_images', 'unlabelled_images'])
    expect(check(report, 'missing_images')).toMatchObject({
      severity: 'error',
      examples: [expect.objectContaining({ file: join(root, 'img/gone.png'), line: 4 })],
    })
    expect(check(report, 'unlabelled_images').observed).toContain('img/d.png')
    expect(report.profile.classes).toEqual([
      { name: 'no', images: 2, share: 2 / 3 },
      { name: 'yes', images: 1, share: 1 / 3 },
    ])
  })

  it('refuses a CSV without a file or label column, naming the header', async () => {
    const root = await dataset('csv-bad', { 'x/a.png': pngOf(1), 'l.csv': 'name,label\nx/a.png,1\n' })
    await expect(runImageQa({ root, labels: join(root, 'l.csv') })).rejects.toThrow(
      /l\.csv needs a file column .*header is name,label/,
    )
  })
})

describe('runImageQa: segmentation image/mask pairs', () => {
  it('passes a clean set and counts pixels per class', async () => {
    const root = await dataset('seg-clean', segmentationPairs(5))
    const report = await runImageQa({ root, maskClasses: [0, 1, 2] })
    expect(report.dataset.layout).toBe('segmentation')
    expect(failing(report)).toEqual([])
    expect(report.summary).toMatchObject({ images: 5, masks: 5 })
    expect(report.profile.pixelClasses).toEqual([
      { value: 0, pixels: 160, share: 0.5 },
      { value: 1, pixels: 80, share: 0.25 },
      { value: 2, pixels: 80, share: 0.25 },
    ])
  })

  it('finds a missing mask, an orphan mask, an out-of-set value, a wrong-size mask and a corrupt mask', async () => {
    const files: Record<string, Buffer | string> = segmentationPairs(6)
    delete files['masks/img0.png']
    files['masks/stray.png'] = maskOf([0, 1])
    files['masks/img1.png'] = maskOf([0, 1, 7])
    files['masks/img2.png'] = maskOf([0, 1], 4, 4)
    files['masks/img3.png'] = Buffer.from('garbage')
    const root = await dataset('seg-faulty', files)
    const report = await runImageQa({ root, maskClasses: [0, 1, 2] })
    expect(failing(report).sort()).toEqual(
      ['mask_shape', 'mask_values', 'missing_masks', 'orphan_masks', 'unreadable_images'].sort(),
    )
    expect(check(report, 'missing_masks').observed).toContain('images/img0.png')
    expect(check(report, 'orphan_masks')).toMatchObject({
      severity: 'warning',
      observed: expect.stringContaining('masks/stray.png (no image with this name)'),
    })
    expect(check(report, 'mask_values').observed).toBe('1 of 4 masks: masks/img1.png (value 7)')
    expect(check(report, 'mask_shape').observed).toContain('masks/img2.png (4x4, its image is 8x8)')
    expect(check(report, 'unreadable_images').observed).toContain('masks/img3.png')
  })

  it('without a class set, lists the values seen instead of failing', async () => {
    const root = await dataset('seg-noclasses', segmentationPairs(2))
    const report = await runImageQa({ root })
    expect(check(report, 'mask_values')).toMatchObject({ success: true, observed: 'values seen: 0, 1, 2' })
  })

  it('warns when a declared class has (almost) no pixels', async () => {
    const root = await dataset('seg-rare', segmentationPairs(2))
    const report = await runImageQa({ root, maskClasses: [0, 1, 2, 3] })
    expect(check(report, 'pixel_class_balance')).toMatchObject({ success: false, severity: 'warning' })
    expect(check(report, 'pixel_class_balance').observed).toContain('3: 0.0%')
  })
})

describe('readImageClassification', () => {
  it('returns NHWC pixels with class indices', async () => {
    const root = await dataset('tensor', classFolders(['a', 'b'], 2))
    const tensor = await readImageClassification({ root })
    expect(tensor).toMatchObject({ count: 4, height: 8, width: 8, channels: 1, classes: ['a', 'b'] })
    expect([...tensor.labels]).toEqual([0, 0, 1, 1])
    expect([...tensor.pixels.subarray(0, 64)]).toEqual([...decodeImage(pngOf(0), 'x').pixels])
  })
})
