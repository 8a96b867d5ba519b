// The tfjs-backed modules (fit-network, tfjs-network, tfjs-cpu) are left out on purpose: the trainers load them
// on first use, so importing @mlops/ml does not load TF.js.
export * from './network.js'
export * from './export-network.js'
export { mlpTrainer } from './mlp-trainer.js'
export * from './cnn-trainer.js'
