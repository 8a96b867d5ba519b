import { GraphBuilder, ML_DOMAIN } from '../onnx/graph-builder.js'
import { LABEL_OUTPUT, PROBABILITIES_OUTPUT } from '../onnx/linear-model.js'
import { addPreprocessing, type FeatureSpec } from '../onnx/preprocess.js'
import type { DecisionTree } from './decision-tree.js'

/** What the ai.onnx.ml TreeEnsembleClassifier node needs beyond the trees. */
export interface TreeEnsembleExport {
  classes: string[]
  trees: readonly DecisionTree[]
  /**
   * Boosting: the class each tree's single leaf value adds to. A binary model has one raw score, so every
   * tree adds to class id 0 with one base value: onnxruntime then outputs [sigmoid(-s), sigmoid(s)].
   * Forests (null): every leaf adds one weight per class.
   */
  treeClass: ((tree: number) => number) | null
  postTransform: 'NONE' | 'LOGISTIC' | 'SOFTMAX'
  baseValues: number[]
}

/**
 * Preprocessing + one TreeEnsembleClassifier, with the `label` and `probabilities` outputs of the linear
 * export. Splits are BRANCH_LEQ (left when x <= threshold), the test the trainers use on float32 features.
 * The label comes from ArgMax over the probabilities, as in the linear graph, rather than from the node's own
 * label output, whose binary rule depends on the signs of the weights.
 */
export function exportTreeEnsemble(
  specs: readonly FeatureSpec[],
  model: TreeEnsembleExport,
  options: { name?: string } = {},
): Uint8Array {
  const classCount = model.classes.length
  if (classCount < 2) throw new Error('a classifier needs at least two classes')
  if (model.trees.length === 0) throw new Error('a tree ensemble needs at least one tree')
  const nodes = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    featureIds: [] as number[],
    values: [] as number[],
    modes: [] as string[],
    trueIds: [] as number[],
    falseIds: [] as number[],
  }
  const weights = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    classIds: [] as number[],
    values: [] as number[],
  }
  model.trees.forEach((tree, t) => {
    for (let node = 0; node < tree.feature.length; node++) {
      const leaf = tree.left[node] === -1
      nodes.treeIds.push(t)
      nodes.nodeIds.push(node)
      nodes.featureIds.push(leaf ? 0 : tree.feature[node]!)
      nodes.values.push(leaf ? 0 : tree.threshold[node]!)
      nodes.modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ')
      nodes.trueIds.push(leaf ? 0 : tree.left[node]!)
      nodes.falseIds.push(leaf ? 0 : tree.right[node]!)
      if (!leaf) continue
      if (model.treeClass) {
        weights.treeIds.push(t)
        weights.nodeIds.push(node)
        weights.classIds.push(model.treeClass(t))
        weights.values.push(tree.value[node * tree.valueWidth]!)
      } else {
        for (let k = 0; k < classCount; k++) {
          weights.treeIds.push(t)
          weights.nodeIds.push(node)
          weights.classIds.push(k)
          weights.values.push(tree.value[node * tree.valueWidth + k]!)
        }
      }
    }
  })
  const graph = new GraphBuilder(options.name ?? 'tree_ensemble_classifier')
  const features = addPreprocessing(graph, specs)
  const unusedLabel = graph.fresh('ensemble_label')
  graph.node('TreeEnsembleClassifier', [features], {
    domain: ML_DOMAIN,
    outputs: [unusedLabel, PROBABILITIES_OUTPUT],
    attributes: {
      classlabels_int64s: { ints: model.classes.map((_, k) => k) },
      nodes_treeids: { ints: nodes.treeIds },
      nodes_nodeids: { ints: nodes.nodeIds },
      nodes_featureids: { ints: nodes.featureIds },
      nodes_values: { floats: nodes.values },
      nodes_modes: nodes.modes,
      nodes_truenodeids: { ints: nodes.trueIds },
      nodes_falsenodeids: { ints: nodes.falseIds },
      class_treeids: { ints: weights.treeIds },
      class_nodeids: { ints: weights.nodeIds },
      class_ids: { ints: weights.classIds },
      class_weights: { floats: weights.values },
      post_transform: model.postTransform,
      ...(model.baseValues.length > 0 ? { base_values: { floats: model.baseValues } } : {}),
    },
  })
  const [index] = graph.node('ArgMax', [PROBABILITIES_OUTPUT], { attributes: { axis: 1, keepdims: 0 } })
  const names = graph.constant('class_names', { type: 'string', dims: [classCount], values: model.classes })
  graph.node('Gather', [names, index!], { outputs: [LABEL_OUTPUT], attributes: { axis: 0 } })
  graph.output(LABEL_OUTPUT, 'string', ['N'])
  graph.output(PROBABILITIES_OUTPUT, 'float', ['N', classCount])
  return graph.toBytes({
    docString: `tree ensemble of ${model.trees.length} trees over ${specs.length} columns`,
  })
}
