package dev.pin.orchestrator.loop;

import dev.pin.v1.PromptFaithfulness;
import dev.pin.v1.ScoreContinuousPromptResponse;
import java.util.List;

/**
 * A continuous prompt's scores on a whole split from several ScoreContinuousPrompt calls (PEZ
 * and soft prompts, §7.2). The policy service forwards the split twice (the continuous prompt and
 * its projection) on float32 PyTorch, so a test split of thousands of sentences is sent in parts
 * of {@link #EXAMPLES_PER_CALL}, each well inside the peer deadline, and the parts' scores are
 * combined weighted by their example counts (which reproduces the whole split's accuracies,
 * agreement and mean losses).
 */
final class ContinuousScores {
  /**
   * Examples per call. Scoring 32 SST-2 dev sentences (2 × 32 BERT-base forwards) took 66–150 s
   * on a shared 2-core CPU under a load of 10–17 ({@code SoftPromptBench}), so 2 × 128 stay near
   * 5 minutes at worst, inside the 10-minute default deadline ({@code orchestrator.policy.deadline}).
   */
  static final int EXAMPLES_PER_CALL = 128;

  private ContinuousScores() {}

  /** The scores of the parts as one answer (prompt and projection: the first part's). */
  static ScoreContinuousPromptResponse merge(List<ScoreContinuousPromptResponse> parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    int n = 0;
    double continuous = 0;
    double projection = 0;
    double agreement = 0;
    double continuousLoss = 0;
    double projectionLoss = 0;
    for (ScoreContinuousPromptResponse part : parts) {
      PromptFaithfulness f = part.getFaithfulness();
      n += f.getExamples();
      continuous += f.getContinuousScore() * f.getExamples();
      projection += f.getProjectionScore() * f.getExamples();
      agreement += f.getAgreement() * f.getExamples();
      continuousLoss += f.getContinuousLoss() * f.getExamples();
      projectionLoss += f.getProjectionLoss() * f.getExamples();
    }
    ScoreContinuousPromptResponse first = parts.get(0);
    return first.toBuilder().setFaithfulness(first.getFaithfulness().toBuilder()
        .setExamples(n)
        .setContinuousScore(continuous / n)
        .setProjectionScore(projection / n)
        .setAgreement(agreement / n)
        .setContinuousLoss(continuousLoss / n)
        .setProjectionLoss(projectionLoss / n)).build();
  }
}
