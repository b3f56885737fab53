package dev.pin.reward.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.google.protobuf.ByteString;
import dev.pin.reward.backend.ClipModel;
import dev.pin.reward.testing.TinyModels;
import dev.pin.v1.Image;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The image-inversion pipeline over a tiny deterministic "CLIP": the image tower returns the mean
 * of each preprocessed channel, the text tower a colour word's RGB direction.
 */
class ImageInversionScorerTest {

  private static final ClipModel COLOUR_CLIP = TinyModels.colourClip();

  private static Image png(int rgb) throws IOException {
    BufferedImage img = new BufferedImage(8, 6, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 6; y++) {
      for (int x = 0; x < 8; x++) {
        img.setRGB(x, y, rgb);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return Image.newBuilder().setData(ByteString.copyFrom(out.toByteArray())).build();
  }

  @Test
  void meanCosineOverTargets() throws IOException {
    ImageInversionScorer scorer =
        new ImageInversionScorer(COLOUR_CLIP, List.of(png(0xff0000), png(0x00ff00)));
    float half = (float) (1 / Math.sqrt(2));
    // red: (1 + 0)/2; green: (0 + 1)/2; yellow (1,1,0): (1/√2 + 1/√2)/2.
    assertArrayEquals(
        new float[] {0.5f, 0.5f, half}, scorer.score(List.of("red", "green", "yellow")), 1e-6f);
    assertArrayEquals(new float[] {1, 0, 0}, scorer.targetEmbeddings().get(0), 1e-6f);
  }
}
