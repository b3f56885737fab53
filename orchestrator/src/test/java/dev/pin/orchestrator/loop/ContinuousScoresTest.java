package dev.pin.orchestrator.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.pin.v1.Prompt;
import dev.pin.v1.PromptFaithfulness;
import dev.pin.v1.ScoreContinuousPromptResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A split scored in parts adds up to the scores of the whole split. */
class ContinuousScoresTest {

  private static ScoreContinuousPromptResponse part(int n, int continuousRight,
      int projectionRight, int agreeing, double continuousLoss, double projectionLoss) {
    return ScoreContinuousPromptResponse.newBuilder()
        .setProjection(Prompt.newBuilder().setText("great so"))
        .setFaithfulness(PromptFaithfulness.newBuilder().setExamples(n)
            .setContinuousScore(100.0 * continuousRight / n)
            .setProjectionScore(100.0 * projectionRight / n)
            .setAgreement((double) agreeing / n).setContinuousLoss(continuousLoss)
            .setProjectionLoss(projectionLoss).setMeanRowCosine(0.25))
        .build();
  }

  @Test
  void partsAreWeightedByTheirExamples() {
    // 128 + 72 sentences: 100 + 36 right by the continuous prompt, 64 + 36 by the projection,
    // 90 + 18 agreeing; mean losses 0.5 and 1.0 over the first part, 0.25 and 2.0 the second.
    ScoreContinuousPromptResponse whole = ContinuousScores.merge(List.of(
        part(128, 100, 64, 90, 0.5, 1.0), part(72, 36, 36, 18, 0.25, 2.0)));
    PromptFaithfulness f = whole.getFaithfulness();
    assertEquals(200, f.getExamples());
    assertEquals(100.0 * 136 / 200, f.getContinuousScore(), 1e-12);
    assertEquals(100.0 * 100 / 200, f.getProjectionScore(), 1e-12);
    assertEquals(108 / 200.0, f.getAgreement(), 1e-12);
    assertEquals((128 * 0.5 + 72 * 0.25) / 200, f.getContinuousLoss(), 1e-12);
    assertEquals((128 * 1.0 + 72 * 2.0) / 200, f.getProjectionLoss(), 1e-12);
    assertEquals(0.25, f.getMeanRowCosine(), 0.0, "the same prompt in every part");
    assertEquals("great so", whole.getProjection().getText());
    ScoreContinuousPromptResponse one = part(8, 4, 4, 8, 0.7, 0.7);
    assertSame(one, ContinuousScores.merge(List.of(one)));
  }
}
