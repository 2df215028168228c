package clip4j.fewshot;

/**
 * The features one run needs, all from the feature store: L2-normalised class weights (rows), the cache keys
 * (averaged augmented shot features, normalised, class-contiguous), the augmented views of each pass (normalised, for
 * training), raw shot features (for CLIP-Adapter), validation and test features with labels.
 */
public record FewShotData(float[][] classWeights, float[][] keys, int[] keyLabels,
                          java.util.List<float[][]> views, java.util.List<float[][]> rawViews,
                          float[][] val, int[] valLabels, float[][] test, int[] testLabels) {
}
