import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { once } from 'node:events'
import { createRandom, type Random } from './random.js'

/**
 * A synthetic hospital-readmission table: 21 numeric columns, 10 categorical, a unique patient id and a
 * binary 30-day readmission target driven by a known logistic model (so a trained model has something
 * real to find). `drift` shifts a few columns the way a new hospital site or season would.
 */
export interface ReadmissionOptions {
  rows: number
  seed: number
  /** Added to every patient id so that two batches never share ids. */
  idOffset?: number
  drift?: boolean
}

export const NUMERIC_COLUMNS = [
  'age',
  'bmi',
  'systolic_bp',
  'diastolic_bp',
  'heart_rate',
  'glucose',
  'hba1c',
  'creatinine',
  'cholesterol',
  'hemoglobin',
  'wbc_count',
  'sodium',
  'potassium',
  'length_of_stay',
  'num_lab_procedures',
  'num_procedures',
  'num_medications',
  'num_outpatient_visits',
  'num_emergency_visits',
  'num_inpatient_visits',
  'num_diagnoses',
] as const

export const CATEGORICAL_COLUMNS = [
  'gender',
  'race',
  'admission_type',
  'discharge_disposition',
  'admission_source',
  'primary_diagnosis',
  'insulin',
  'diabetes_med',
  'a1c_result',
  'payer_code',
] as const

export const TARGET_COLUMN = 'readmitted_30d'
export const COLUMNS = ['patient_id', ...NUMERIC_COLUMNS, ...CATEGORICAL_COLUMNS, TARGET_COLUMN]

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x))
const fixed = (x: number, digits: number): string => x.toFixed(digits)

function patientRow(random: Random, id: number, drift: boolean): string[] {
  const age = Math.round(clamp(random.normal(drift ? 71 : 63, 14), 18, 100))
  const bmi = clamp(random.normal(28.5, 5.5), 14, 60)
  const systolic = Math.round(clamp(random.normal(128 + (age - 60) * 0.3, 16), 80, 220))
  const diastolic = Math.round(clamp(random.normal(78, 10), 40, 130))
  const heartRate = Math.round(clamp(random.normal(80, 12), 40, 160))
  const diabetic = random.bernoulli(0.32)
  const glucose = clamp(random.normal(diabetic ? 165 : 105, diabetic ? 45 : 20) * (drift ? 1.25 : 1), 45, 500)
  const hba1c = clamp(random.normal(diabetic ? 8.1 : 5.6, diabetic ? 1.4 : 0.5), 4, 15)
  const creatinine = clamp(random.normal(1.05 + (age - 60) * 0.008, 0.35), 0.3, 8)
  const cholesterol = clamp(random.normal(195, 38), 90, 400)
  const hemoglobin = clamp(random.normal(13.2, 1.7), 6, 19)
  const wbc = clamp(random.normal(8.1, 2.6), 1.5, 30)
  const sodium = clamp(random.normal(139, 3.2), 120, 155)
  const potassium = clamp(random.normal(4.2, 0.45), 2.5, 6.5)
  const lengthOfStay = 1 + random.poisson(drift ? 5.2 : 3.6)
  const labProcedures = Math.round(clamp(random.normal(43, 19), 1, 130))
  const procedures = random.poisson(1.3)
  const medications = Math.round(clamp(random.normal(16 + (drift ? 4 : 0), 8), 1, 80))
  const outpatient = random.poisson(0.4)
  const emergency = random.poisson(0.2)
  const inpatient = random.poisson(0.65)
  const diagnoses = Math.round(clamp(random.normal(7.4, 1.9), 1, 16))

  const gender = random.pick(['Female', 'Male', 'Unknown'], [53, 46.9, 0.1])
  const race = random.pick(
    ['Caucasian', 'AfricanAmerican', 'Hispanic', 'Asian', 'Other'],
    [74, 19, 2.1, 0.7, 4.2],
  )
  const admissionType = drift
    ? random.pick(['Emergency', 'Urgent', 'Elective', 'Trauma'], [38, 17, 42, 3])
    : random.pick(['Emergency', 'Urgent', 'Elective', 'Trauma'], [53, 18, 26, 3])
  const discharge = random.pick(
    ['Home', 'HomeHealth', 'SkilledNursing', 'Rehab', 'Other'],
    [59, 13, 14, 6, 8],
  )
  const source = random.pick(['EmergencyRoom', 'Referral', 'Transfer', 'Other'], [56, 30, 9, 5])
  const diagnosis = random.pick(
    [
      'Circulatory',
      'Respiratory',
      'Digestive',
      'Diabetes',
      'Injury',
      'Musculoskeletal',
      'Genitourinary',
      'Neoplasms',
      'Other',
    ],
    [30, 14, 9, 8, 7, 5, 5, 4, 18],
  )
  const insulin = diabetic ? random.pick(['No', 'Steady', 'Up', 'Down'], [30, 42, 14, 14]) : 'No'
  const diabetesMed = diabetic || random.bernoulli(0.1) ? 'Yes' : 'No'
  const a1cMeasured = random.bernoulli(0.17)
  const a1cResult = !a1cMeasured ? 'None' : hba1c > 8 ? '>8' : hba1c > 7 ? '>7' : 'Norm'
  const payer = random.pick(['Medicare', 'Medicaid', 'Private', 'SelfPay'], [52, 9, 33, 6])

  // Known signal: prior inpatient stays, length of stay, age, glucose control and discharge destination.
  const logit =
    -3.1 +
    0.42 * inpatient +
    0.22 * emergency +
    0.07 * lengthOfStay +
    0.012 * (age - 60) +
    0.006 * (glucose - 110) +
    0.03 * (diagnoses - 7) +
    (discharge === 'SkilledNursing' ? 0.45 : 0) +
    (insulin === 'Up' || insulin === 'Down' ? 0.25 : 0) +
    (0.04 * (medications - 16)) / 4
  const readmitted = random.bernoulli(1 / (1 + Math.exp(-logit)))

  // Nulls the way real extracts have them: measured sometimes, or left blank by the registering clerk.
  const maybe = (value: string, pNull: number): string => (random.bernoulli(pNull) ? '' : value)
  return [
    `P${String(id).padStart(7, '0')}`,
    String(age),
    maybe(fixed(bmi, 1), 0.03),
    String(systolic),
    String(diastolic),
    String(heartRate),
    fixed(glucose, 1),
    a1cMeasured ? fixed(hba1c, 1) : '',
    fixed(creatinine, 2),
    maybe(fixed(cholesterol, 0), 0.1),
    fixed(hemoglobin, 1),
    fixed(wbc, 1),
    fixed(sodium, 0),
    fixed(potassium, 1),
    String(lengthOfStay),
    String(labProcedures),
    String(procedures),
    String(medications),
    String(outpatient),
    String(emergency),
    String(inpatient),
    String(diagnoses),
    gender,
    maybe(race, 0.02),
    admissionType,
    discharge,
    source,
    diagnosis,
    insulin,
    diabetesMed,
    a1cResult,
    maybe(payer, 0.05),
    readmitted ? '1' : '0',
  ]
}

/** Yields CSV lines (header first, each ending in \n). Categorical values never need quoting. */
export function* readmissionCsvLines(options: ReadmissionOptions): Generator<string> {
  if (!Number.isInteger(options.rows) || options.rows < 0)
    throw new Error(`rows must be a whole number >= 0, got ${options.rows}`)
  const random = createRandom(options.seed)
  yield COLUMNS.join(',') + '\n'
  for (let i = 0; i < options.rows; i++) {
    yield patientRow(random, (options.idOffset ?? 0) + i + 1, options.drift ?? false).join(',') + '\n'
  }
}

/** Writes the CSV with backpressure, in blocks, so generating millions of rows stays in bounded memory. */
export async function writeReadmissionCsv(path: string, options: ReadmissionOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const out = createWriteStream(path)
  let block = ''
  for (const line of readmissionCsvLines(options)) {
    block += line
    if (block.length > 1 << 16) {
      if (!out.write(block)) await once(out, 'drain')
      block = ''
    }
  }
  out.end(block)
  await once(out, 'finish')
}
