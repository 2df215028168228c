package clip4j.fewshot;

import java.util.Map;

/** One (method, shots, seed) run: test accuracy, what was chosen on validation, and the test predictions. */
public record RunResult(Method method, int shots, long seed, double accuracy, Map<String, Object> chosen,
                        int[] predictions, float[][] logits) {
}
