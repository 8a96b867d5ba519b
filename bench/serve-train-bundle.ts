// Trains the benchmark's logistic-regression bundle on a 100k-row readmission CSV, as the train action does
// (run with `node --import tsx`; called by serve-load.mjs). Usage: serve-train-bundle.ts <csv> <bundle-dir>
import { buildReferenceProfile, readColumns } from '../packages/data/src/index.ts'
import { tabularTrainer, trainTabular, writeModelBundle } from '../packages/ml/src/index.ts'

const [csv, out] = process.argv.slice(2)
if (!csv || !out) throw new Error('usage: serve-train-bundle.ts <csv> <bundle-dir>')
const table = await readColumns([csv])
const trained = await trainTabular({
  columns: table.columns,
  target: 'readmitted_30d',
  exclude: ['patient_id'],
  trainer: tabularTrainer('logistic-regression'),
  seed: 42,
})
await writeModelBundle(out, {
  onnx: trained.onnx,
  info: {
    task: trained.task,
    target: 'readmitted_30d',
    labels: trained.classes,
    features: trained.specs,
    modelType: 'logistic-regression',
    params: trained.params,
    metrics: Object.fromEntries(
      Object.entries(trained.score.metrics).filter((e): e is [string, number] => e[1] !== undefined),
    ),
    dataHash: 'bench',
    gitSha: null,
  },
  reference: buildReferenceProfile(table, { exclude: ['patient_id', 'readmitted_30d'] }),
})
console.log(
  `bundle ${out}: ${trained.specs.length} columns, roc_auc ${trained.score.metrics.roc_auc?.toFixed(4)}`,
)
